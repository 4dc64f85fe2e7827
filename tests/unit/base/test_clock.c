/* base/clock: the monotonic reads move forward with time, and a condition-variable
 * deadline lies the given milliseconds ahead on the wall clock. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <time.h>
#include <unistd.h>

#include "base/clock.h"

static void monotonic_clock_advances(void **state)
{
    long long a = cx__clock_ms();
    double s = cx__clock_s();
    usleep(30000);
    long long b = cx__clock_ms();
    assert_true(b - a >= 29);
    assert_true(b - a < 5000);
    assert_true(cx__clock_s() - s >= 0.029);
    assert_true((long long)(s * 1000) - a <= 1 && a - (long long)(s * 1000) <= 1);
}

static void deadline_is_ahead_and_normalised(void **state)
{
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    struct timespec d = cx__clock_deadline(1999);
    long long ahead =
        ((long long)d.tv_sec - now.tv_sec) * 1000 + (d.tv_nsec - now.tv_nsec) / 1000000;
    assert_true(ahead >= 1990 && ahead <= 2100);
    assert_true(d.tv_nsec >= 0 && d.tv_nsec < 1000000000L);
    struct timespec z = cx__clock_deadline(-5); /* the past means now */
    assert_true(z.tv_sec >= now.tv_sec);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(monotonic_clock_advances),
        cmocka_unit_test(deadline_is_ahead_and_normalised),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
