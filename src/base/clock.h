/* Time for timeouts and measurements: the one place that reads the clocks. */
#ifndef CX_BASE_CLOCK_H
#define CX_BASE_CLOCK_H

#include <time.h>

/* Milliseconds on the monotonic clock (not wall time: for deadlines and durations). */
long long cx__clock_ms(void);
/* The same clock in seconds, with sub-millisecond resolution. */
double cx__clock_s(void);
/* The wall-clock moment ms milliseconds from now, the form pthread_cond_timedwait
 * takes (its default clock is CLOCK_REALTIME). */
struct timespec cx__clock_deadline(long long ms);

#endif
