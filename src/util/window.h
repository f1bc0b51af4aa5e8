/*
 * window - a sliding-window counter in a few bytes: WINDOW_BUCKETS buckets
 * of `width` seconds each; window_add() counts at a time, window_sum() gives
 * the count over the last WINDOW_BUCKETS * width seconds before `now`.
 * Time is passed in (seconds of log time), never read from the clock.
 */
#ifndef MW_WINDOW_H
#define MW_WINDOW_H

#include <stdint.h>

#define WINDOW_BUCKETS 10

struct window {
    int64_t epoch[WINDOW_BUCKETS]; /* which slot of time each bucket holds */
    uint32_t count[WINDOW_BUCKETS];
};

static inline void window_add(struct window *w, int64_t now_s, uint32_t width, uint32_t n)
{
    int64_t slot = now_s / (width ? width : 1);
    int i = (int)(((slot % WINDOW_BUCKETS) + WINDOW_BUCKETS) % WINDOW_BUCKETS);
    if (w->epoch[i] != slot) {
        w->epoch[i] = slot;
        w->count[i] = 0;
    }
    w->count[i] += n;
}

static inline uint64_t window_sum(const struct window *w, int64_t now_s, uint32_t width)
{
    int64_t slot = now_s / (width ? width : 1);
    uint64_t sum = 0;
    for (int i = 0; i < WINDOW_BUCKETS; i++)
        if (w->epoch[i] > slot - WINDOW_BUCKETS && w->epoch[i] <= slot)
            sum += w->count[i];
    return sum;
}

#endif
