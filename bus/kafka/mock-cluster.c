/*
 * Kafka mock cluster for tests: librdkafka's in-process broker set (real Kafka protocol on loopback).
 * usage: mock-cluster BROKERS [TOPIC:PARTITIONS ...]
 * Prints the bootstrap servers on the first line of stdout, then runs until stdin closes, so it never
 * outlives the test process that started it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

int main(int argc, char **argv) {
  char err[512];
  int brokers = argc > 1 ? atoi(argv[1]) : 1;
  rd_kafka_conf_t *conf = rd_kafka_conf_new();
  rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
  if (!rk) { fprintf(stderr, "rd_kafka_new: %s\n", err); return 1; }
  rd_kafka_mock_cluster_t *mc = rd_kafka_mock_cluster_new(rk, brokers);
  if (!mc) { fprintf(stderr, "rd_kafka_mock_cluster_new failed\n"); return 1; }
  for (int i = 2; i < argc; i++) {
    char *sep = strrchr(argv[i], ':');
    int partitions = sep ? atoi(sep + 1) : 4;
    if (sep) *sep = 0;
    if (rd_kafka_mock_topic_create(mc, argv[i], partitions, 1)) { fprintf(stderr, "topic %s not created\n", argv[i]); return 1; }
  }
  printf("%s\n", rd_kafka_mock_cluster_bootstraps(mc));
  fflush(stdout);
  char buf[256];
  while (read(0, buf, sizeof buf) > 0) {}
  rd_kafka_mock_cluster_destroy(mc);
  rd_kafka_destroy(rk);
  return 0;
}
