/* SPDX-License-Identifier: Apache-2.0
 *
 * canonical raft's deterministic fixture (Debian's libraft-dev 0.15, <raft/fixture.h>),
 * measured on the workloads of bench/sim_bench.cc so the two can be put side by side:
 *
 *   (a) steady: a 5-server fixture with a stable leader advancing simulated time (heartbeats
 *       only): simulated seconds per wall second and fixture steps (events) per second;
 *   (b) failover: kill the leader, step until the fixture reports a different stable leader:
 *       wall (and CPU) microseconds per failover, simulated ms to the new leader.
 *
 * Only the public raft.h / raft/fixture.h API is used, plus reads of `struct raft_fixture`
 * fields (leader_id, time). The fixture checks Election Safety and Leader Append-Only after
 * every step (and copies the leader's log to do so); it has no linearizability checker.
 *
 * Fixture facts that shape the numbers (src/fixture.c, v0.15.0):
 *   - one raft_fixture_step() = one event (a tick, a disk completion, a send or a delivery),
 *     found by a linear scan over servers and pending requests;
 *   - every server ticks every heartbeat_timeout (100 ms), so election timers fire on that grid;
 *   - io->random() returns a fixed 1000 + i*100 ms by default ("fixed" rows); the "rand" rows
 *     re-draw the value of the server that just had an event, uniformly in [T, 2T), from a hook,
 *     so every timer reset gets a fresh draw as with the libuv backend;
 *   - f->leader_id names a *stable* leader: one every live, connected voter follows. With one
 *     fixed latency for every message all followers learn of a new leader at the same
 *     simulated instant, so this equals "known to a majority" here.
 *
 * Usage: canonical_bench [REPETITIONS [SEED [TRIALS]]]   (defaults 5, 1, 1000)
 * Prints one line per repetition and section, then "RESULT <key> <median> <min> <max>" lines
 * (medians over the repetitions) that bench/compare_sim.sh reads.
 */
#define _POSIX_C_SOURCE 200809L
#include <raft.h>
#include <raft/fixture.h>

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define N_SERVERS 5
#define ELECTION_TIMEOUT 1000 /* ms, the fixture's default T */
#define STEADY_STRETCH_MS 600000 /* 600 s of simulated time per timed stretch */
#define STEADY_STRETCHES 10
#define MAX_REPS 64

/* ---- clocks ---------------------------------------------------------------------------- */

static double wall_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static double cpu_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* What reading the clocks around an empty region costs as seen by those clocks (the
 * CLOCK_THREAD_CPUTIME_ID read is a system call in a VM, ~0.5 us); subtracted from the
 * per-failover figures, as bench/sim_bench.cc does. Medians of 2001 empty regions. */
static double overhead_wall = 0, overhead_cpu = 0;

static int cmp_double(const void *a, const void *b);

static void calibrate_clocks(void)
{
    enum { N = 2001 };
    static double walls[N], cpus[N];
    unsigned i;
    for (i = 0; i < N; i++) {
        double c0 = cpu_now(), w0 = wall_now();
        double w1 = wall_now(), c1 = cpu_now();
        walls[i] = w1 - w0;
        cpus[i] = c1 - c0;
    }
    qsort(walls, N, sizeof walls[0], cmp_double);
    qsort(cpus, N, sizeof cpus[0], cmp_double);
    overhead_wall = walls[N / 2];
    overhead_cpu = cpus[N / 2];
}

/* ---- a trivial FSM --------------------------------------------------------------------- */

static int fsm_apply(struct raft_fsm *fsm, const struct raft_buffer *buf, void **result)
{
    (void)fsm;
    (void)buf;
    *result = NULL;
    return 0;
}

static int fsm_snapshot(struct raft_fsm *fsm, struct raft_buffer *bufs[], unsigned *n_bufs)
{
    (void)fsm;
    *bufs = raft_malloc(sizeof **bufs);
    if (*bufs == NULL) return RAFT_NOMEM;
    (*bufs)[0].len = 8;
    (*bufs)[0].base = raft_calloc(1, 8);
    if ((*bufs)[0].base == NULL) return RAFT_NOMEM;
    *n_bufs = 1;
    return 0;
}

static int fsm_restore(struct raft_fsm *fsm, struct raft_buffer *buf)
{
    (void)fsm;
    raft_free(buf->base);
    return 0;
}

static struct raft_fsm fsms[N_SERVERS];

/* ---- randomness and the step hook ------------------------------------------------------ */

static uint64_t rng_state = 1;

static uint64_t rng_next(void) /* xorshift64 */
{
    uint64_t x = rng_state;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return rng_state = x;
}

static unsigned rng_below(unsigned n) { return (unsigned)(rng_next() % n); }

static bool randomize_timeouts = false;
static uint64_t steps = 0;

static void step_hook(struct raft_fixture *f, struct raft_fixture_event *event)
{
    steps++;
    if (randomize_timeouts) {
        raft_fixture_set_randomized_election_timeout(
            f, event->server_index, ELECTION_TIMEOUT + rng_below(ELECTION_TIMEOUT));
    }
}

/* ---- fixture setup --------------------------------------------------------------------- */

struct options
{
    const char *name;
    bool randomized;
    bool pre_vote;
    unsigned latency_ms; /* 0: the fixture's default (15 ms) */
    unsigned disk_ms;    /* 0: the fixture's default (10 ms) */
};

static void die(const char *what, int rc)
{
    fprintf(stderr, "canonical_bench: %s failed: %d\n", what, rc);
    exit(2);
}

static struct raft_fixture *fixture_new(const struct options *o)
{
    struct raft_fixture *f = calloc(1, sizeof *f);
    struct raft_configuration conf;
    unsigned i;
    int rc;
    if (f == NULL) die("calloc", 0);
    rc = raft_fixture_initialize(f);
    if (rc != 0) die("raft_fixture_initialize", rc);
    for (i = 0; i < N_SERVERS; i++) {
        rc = raft_fixture_grow(f, &fsms[i]);
        if (rc != 0) die("raft_fixture_grow", rc);
    }
    rc = raft_fixture_configuration(f, N_SERVERS, &conf);
    if (rc != 0) die("raft_fixture_configuration", rc);
    rc = raft_fixture_bootstrap(f, &conf);
    if (rc != 0) die("raft_fixture_bootstrap", rc);
    raft_configuration_close(&conf);
    for (i = 0; i < N_SERVERS; i++) {
        struct raft *r = raft_fixture_get(f, i);
        raft_set_pre_vote(r, o->pre_vote);
        if (o->latency_ms != 0) raft_fixture_set_network_latency(f, i, o->latency_ms);
        if (o->disk_ms != 0) raft_fixture_set_disk_latency(f, i, o->disk_ms);
        if (o->randomized) {
            raft_fixture_set_randomized_election_timeout(
                f, i, ELECTION_TIMEOUT + rng_below(ELECTION_TIMEOUT));
        }
    }
    randomize_timeouts = o->randomized;
    raft_fixture_hook(f, step_hook);
    rc = raft_fixture_start(f);
    if (rc != 0) die("raft_fixture_start", rc);
    return f;
}

static void fixture_free(struct raft_fixture *f)
{
    raft_fixture_close(f);
    free(f);
}

/* ---- statistics ------------------------------------------------------------------------ */

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v, unsigned n)
{
    qsort(v, n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static double percentile(double *v, unsigned n, double p) /* nearest rank, v sorted */
{
    unsigned rank = (unsigned)(p / 100.0 * (n - 1) + 0.5);
    return v[rank < n ? rank : n - 1];
}

/* Per-repetition values of one result key; printed as median [min, max] at the end. */
struct series
{
    char key[64];
    double v[MAX_REPS];
    unsigned n;
};

static struct series all_series[64];
static unsigned n_series = 0;

static void put(const char *key, double value)
{
    unsigned i;
    for (i = 0; i < n_series; i++) {
        if (strcmp(all_series[i].key, key) == 0) break;
    }
    if (i == n_series) {
        n_series++;
        snprintf(all_series[i].key, sizeof all_series[i].key, "%s", key);
    }
    all_series[i].v[all_series[i].n++] = value;
}

/* ---- (a) steady ------------------------------------------------------------------------ */

static void steady(unsigned rep)
{
    struct options o = {"steady", false, true, 0, 0};
    struct raft_fixture *f = fixture_new(&o);
    double wall = 0, cpu = 0;
    uint64_t events = 0;
    unsigned s;
    if (!raft_fixture_step_until_has_leader(f, 60000)) die("steady: no leader", 0);
    raft_fixture_step_until_elapsed(f, 5000);
    for (s = 0; s < STEADY_STRETCHES; s++) {
        uint64_t steps0 = steps;
        raft_id leader = f->leader_id;
        double c0 = cpu_now(), w0 = wall_now();
        raft_fixture_step_until_elapsed(f, STEADY_STRETCH_MS);
        double w1 = wall_now(), c1 = cpu_now();
        wall += w1 - w0;
        cpu += c1 - c0;
        events += steps - steps0;
        if (f->leader_id != leader) die("steady: leader changed", 0);
    }
    fixture_free(f);
    double simulated = (double)STEADY_STRETCH_MS / 1000.0 * STEADY_STRETCHES;
    printf("rep %u steady: %.0fx realtime (wall), %.0fx (cpu), %.3g events/s (wall), "
           "%.3g events/s (cpu), %.1f events per simulated s\n",
           rep, simulated / wall, simulated / cpu, (double)events / wall, (double)events / cpu,
           (double)events / simulated);
    put("steady_x_realtime", simulated / wall);
    put("steady_x_realtime_cpu", simulated / cpu);
    put("steady_events_per_s", (double)events / wall);
    put("steady_events_per_s_cpu", (double)events / cpu);
    put("steady_events_per_sim_s", (double)events / simulated);
}

/* ---- (b) failover ---------------------------------------------------------------------- */

static void failover(unsigned rep, const struct options *o, unsigned trials)
{
    double *wall_us = malloc(trials * sizeof *wall_us);
    double *sim_ms = malloc(trials * sizeof *sim_ms);
    double wall_total = 0, cpu_total = 0, steps_total = 0;
    unsigned t, done = 0;
    if (wall_us == NULL || sim_ms == NULL) die("malloc", 0);
    for (t = 0; t < trials; t++) {
        struct raft_fixture *f = fixture_new(o);
        unsigned leader;
        raft_id old_id;
        raft_time start;
        uint64_t steps0;
        if (!raft_fixture_step_until_has_leader(f, 60000)) die("failover: no first leader", 0);
        /* The crash lands at a random phase relative to heartbeats and ticks. */
        raft_fixture_step_until_elapsed(f, 200 + rng_below(1000));
        leader = raft_fixture_leader_index(f);
        if (leader >= N_SERVERS) { /* between leaders: try again */
            fixture_free(f);
            continue;
        }
        old_id = f->leader_id;
        start = raft_fixture_time(f);
        steps0 = steps;

        double c0 = cpu_now(), w0 = wall_now();
        raft_fixture_kill(f, leader);
        while ((f->leader_id == 0 || f->leader_id == old_id) &&
               raft_fixture_time(f) - start < 120000) {
            raft_fixture_step(f);
        }
        double w1 = wall_now(), c1 = cpu_now();

        if (f->leader_id == 0 || f->leader_id == old_id) die("failover: no new leader", 0);
        wall_us[done] = (w1 - w0 - overhead_wall) * 1e6;
        sim_ms[done] = (double)(raft_fixture_time(f) - start);
        wall_total += w1 - w0 - overhead_wall;
        cpu_total += c1 - c0 - overhead_cpu;
        steps_total += (double)(steps - steps0);
        done++;
        fixture_free(f);
    }
    qsort(wall_us, done, sizeof *wall_us, cmp_double);
    double sim_mean = 0;
    for (t = 0; t < done; t++) sim_mean += sim_ms[t];
    sim_mean /= done;
    qsort(sim_ms, done, sizeof *sim_ms, cmp_double);
    printf("rep %u failover %s: %u trials, wall %.2f us mean / %.2f us p50, cpu %.2f us mean, "
           "%.0f failovers/s, %.1f steps; sim ms to new leader p50 %.0f, p99 %.0f, mean %.1f\n",
           rep, o->name, done, wall_total * 1e6 / done, percentile(wall_us, done, 50),
           cpu_total * 1e6 / done, done / wall_total, steps_total / done,
           percentile(sim_ms, done, 50), percentile(sim_ms, done, 99), sim_mean);
    char key[64];
#define PUT(suffix, value)                                         \
    do {                                                           \
        snprintf(key, sizeof key, "%s_%s", o->name, suffix);       \
        put(key, value);                                           \
    } while (0)
    PUT("wall_us", wall_total * 1e6 / done);
    PUT("wall_us_p50", percentile(wall_us, done, 50));
    PUT("cpu_us", cpu_total * 1e6 / done);
    PUT("failovers_per_s", done / wall_total);
    PUT("steps", steps_total / done);
    PUT("sim_ms", sim_mean);
    PUT("sim_ms_p50", percentile(sim_ms, done, 50));
    PUT("sim_ms_p99", percentile(sim_ms, done, 99));
#undef PUT
    free(wall_us);
    free(sim_ms);
}

int main(int argc, char **argv)
{
    unsigned reps = argc > 1 ? (unsigned)atoi(argv[1]) : 5;
    uint64_t seed = argc > 2 ? (uint64_t)strtoull(argv[2], NULL, 10) : 1;
    unsigned trials = argc > 3 ? (unsigned)atoi(argv[3]) : 1000;
    /* fixture as shipped (fixed timeouts 1000 + i*100 ms, 15 ms latency, 10 ms disk), the
     * anchor's rows, and the setup closest to sim_bench's (randomized [1000, 2000) ms timeouts,
     * pre-vote, 2 ms links). */
    static const struct options configs[] = {
        {"kill_fixed", false, false, 0, 0},
        {"kill_rand", true, false, 0, 0},
        {"kill_rand_prevote", true, true, 0, 0},
        {"kill_rand_prevote_2ms", true, true, 2, 1},
    };
    unsigned r, c, i;
    if (reps == 0 || reps > MAX_REPS || trials == 0) {
        fprintf(stderr, "usage: canonical_bench [REPETITIONS<=%d [SEED [TRIALS]]]\n", MAX_REPS);
        return 2;
    }
    for (i = 0; i < N_SERVERS; i++) {
        fsms[i].version = 1;
        fsms[i].apply = fsm_apply;
        fsms[i].snapshot = fsm_snapshot;
        fsms[i].restore = fsm_restore;
    }
    rng_state = seed ? seed : 1;
    calibrate_clocks();
    printf("canonical raft fixture, %u servers, %u repetitions, seed %llu, %u failover "
           "trials per configuration; clock overhead subtracted: wall %.0f ns, cpu %.0f ns\n",
           N_SERVERS, reps, (unsigned long long)seed, trials, overhead_wall * 1e9,
           overhead_cpu * 1e9);
    for (r = 1; r <= reps; r++) {
        rng_state = seed ? seed : 1; /* every repetition simulates the same runs */
        steady(r);
        for (c = 0; c < sizeof configs / sizeof configs[0]; c++) failover(r, &configs[c], trials);
        fflush(stdout);
    }
    for (i = 0; i < n_series; i++) {
        struct series *s = &all_series[i];
        double sorted[MAX_REPS];
        memcpy(sorted, s->v, s->n * sizeof *sorted);
        double m = median(sorted, s->n);
        printf("RESULT %s %.6g %.6g %.6g\n", s->key, m, sorted[0], sorted[s->n - 1]);
    }
    return 0;
}
