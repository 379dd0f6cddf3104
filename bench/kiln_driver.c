/* bench/kiln_driver.c - times a kilnc-compiled model (issue 6's benchmark).
 *
 * Built by bench/run.py once per model:
 *   cc -O2 -DKILN_MODEL=NAME -include NAME.h -I runtime/include kiln_driver.c
 *      NAME.o -lkilnrt -lm
 * (add -fopenmp when the object uses OpenMP).
 *
 *   driver train   IN_ELEMS CLASSES BATCH WARMUP_S REP_S REPS SEED
 *   driver predict IN_ELEMS OUT_ELEMS M  WARMUP_S REP_S REPS SEED
 *
 * train:   NAME_train_step on one random batch (x uniform in [0, 1), labels
 *          uniform in [0, CLASSES)), the same batch every step, as the Python
 *          peers do.
 * predict: NAME_predict(state, x, M, out) on a random [M, IN_ELEMS] x.
 *
 * Protocol (the same as bench/peers.py): calls until WARMUP_S seconds have
 * passed (at least 3 calls, or 1 when one call takes longer than WARMUP_S);
 * the warm-up's time per call sets the number of
 * calls per repetition (about REP_S seconds, at least 1); then REPS timed
 * repetitions (3 when one call takes more than 4 * REP_S). Prints one JSON object: calls per second of every repetition,
 * the calls per repetition and the last loss (so the work cannot be elided).
 */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 199309L
#endif
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kiln/memory.h"

#ifndef KILN_MODEL
#error "compile with -DKILN_MODEL=name -include name.h"
#endif
#define CAT2(a, b) a##b
#define CAT(a, b) CAT2(a, b)
#define FN(suffix) CAT(KILN_MODEL, suffix)
#define STR2(a) #a
#define STR(a) STR2(a)

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static uint64_t rng = 0x9E3779B97F4A7C15ull;
static uint32_t next_u32(void) { /* xorshift64* */
  rng ^= rng >> 12;
  rng ^= rng << 25;
  rng ^= rng >> 27;
  return (uint32_t)((rng * 2685821657736338717ull) >> 32);
}
static float next_unit(void) { return (float)(next_u32() >> 8) * (1.0f / 16777216.0f); }

/* Buffers as `kiln train` allocates them (libkilnrt's kiln_alloc: a large
 * state on huge pages where the system has them). */
static void *xalloc(size_t bytes) {
  void *p = kiln_alloc(bytes);
  if (!p) {
    fprintf(stderr, "out of memory (%zu bytes)\n", bytes);
    exit(2);
  }
  return p;
}

/* The state of one run. */
static void *state;
static float *x, *out;
static int32_t *y;
static int64_t batch;
static int train_mode;
static volatile float sink;

static void call(void) {
  if (train_mode) {
    sink = FN(_train_step)(state, x, y, batch);
  } else {
    FN(_predict)(state, x, batch, out);
    sink = out[0];
  }
}

static int cmp_double(const void *a, const void *b) {
  double da = *(const double *)a, db = *(const double *)b;
  return (da > db) - (da < db);
}

int main(int argc, char **argv) {
  if (argc != 9) {
    fprintf(stderr,
            "usage: %s train|predict IN_ELEMS CLASSES|OUT_ELEMS BATCH|M WARMUP_S REP_S REPS SEED\n",
            argv[0]);
    return 2;
  }
  train_mode = strcmp(argv[1], "train") == 0;
  long in_elems = atol(argv[2]), classes_or_out = atol(argv[3]);
  batch = atol(argv[4]);
  double warmup_s = atof(argv[5]), rep_s = atof(argv[6]);
  int reps = atoi(argv[7]);
  rng ^= strtoull(argv[8], NULL, 10) * 0xD1B54A32D192ED03ull;
  if (in_elems <= 0 || classes_or_out <= 0 || batch <= 0 || reps <= 0 || reps > 1000) {
    fprintf(stderr, "bad arguments\n");
    return 2;
  }

  state = xalloc(FN(_state_size)());
  FN(_init)(state, 1);
  x = xalloc(sizeof(float) * (size_t)in_elems * (size_t)batch);
  y = xalloc(sizeof(int32_t) * (size_t)batch);
  out = xalloc(sizeof(float) * (size_t)classes_or_out * (size_t)batch);
  for (long i = 0; i < in_elems * batch; ++i) x[i] = next_unit();
  for (long i = 0; i < batch; ++i) y[i] = (int32_t)(next_u32() % (uint32_t)classes_or_out);

  /* Warm-up, which also measures the time per call. */
  long warm_calls = 0;
  double t0 = now(), t = t0;
  while (t - t0 < warmup_s || (warm_calls < 3 && (t - t0) / (double)(warm_calls ? warm_calls : 1) <= warmup_s)) {
    call();
    ++warm_calls;
    t = now();
  }
  double per_call = (t - t0) / (double)warm_calls;
  long per_rep = (long)ceil(rep_s / per_call);
  if (per_rep < 1) per_rep = 1;
  if (per_call > 4 * rep_s && reps > 3) reps = 3; /* slow calls: keep the run short */

  double *rates = calloc((size_t)reps, sizeof(double));
  for (int r = 0; r < reps; ++r) {
    double a = now();
    for (long i = 0; i < per_rep; ++i) call();
    double b = now();
    rates[r] = (double)per_rep / (b - a);
  }

  printf("{\"model\": \"%s\", \"mode\": \"%s\", \"batch\": %ld, \"calls_per_rep\": %ld, "
         "\"warmup_calls\": %ld, \"last\": %.9g, \"rates\": [",
         STR(KILN_MODEL), argv[1], (long)batch, per_rep, warm_calls, (double)sink);
  for (int r = 0; r < reps; ++r) printf("%s%.9g", r ? ", " : "", rates[r]);
  qsort(rates, (size_t)reps, sizeof(double), cmp_double);
  double median = reps % 2 ? rates[reps / 2] : 0.5 * (rates[reps / 2 - 1] + rates[reps / 2]);
  printf("], \"median\": %.9g}\n", median);
  free(rates);
  return 0;
}
