#ifndef VIGIE_CRDKAFKA_SHIM_H
#define VIGIE_CRDKAFKA_SHIM_H
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

/* rd_kafka_producev is variadic: Swift cannot call it. One fixed-shape produce with headers. */
static inline rd_kafka_resp_err_t vigie_kafka_produce(rd_kafka_t *rk, const char *topic,
        const void *payload, size_t len, const void *key, size_t keylen,
        rd_kafka_headers_t *headers, void *opaque) {
    return rd_kafka_producev(rk,
        RD_KAFKA_V_TOPIC(topic),
        RD_KAFKA_V_VALUE((void *)payload, len),
        RD_KAFKA_V_KEY((void *)key, keylen),
        RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
        RD_KAFKA_V_HEADERS(headers),
        RD_KAFKA_V_OPAQUE(opaque),
        RD_KAFKA_V_END);
}
#endif
