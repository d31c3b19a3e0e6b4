#ifndef VIGIE_CLIBPQ_SHIM_H
#define VIGIE_CLIBPQ_SHIM_H
#include <libpq-fe.h>
#endif
