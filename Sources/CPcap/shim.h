#ifndef VIGIE_CPCAP_SHIM_H
#define VIGIE_CPCAP_SHIM_H
#include <pcap/pcap.h>
#endif
