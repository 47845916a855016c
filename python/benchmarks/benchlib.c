/* The C side of the call benchmarks: functions whose cost is the call itself. */
#include <math.h>
#include <stddef.h>

double nop(double a, double b, double x) { (void)a; (void)b; return x; }

/* The seed article's function: log of the Beta(a, b) density at x. */
double beta_logpdf(double a, double b, double x)
{
    double prefactor = lgamma(a + b) - (lgamma(a) + lgamma(b));
    return prefactor + (a - 1.) * log(x) + (b - 1.) * log(1. - x);
}

int add(int a, int b) { return a + b; }

static volatile int noargs_count;
void noargs(void) { noargs_count++; }

double sum(const double *values, long n)
{
    double total = 0;
    for (long i = 0; i < n; i++)
        total += values[i];
    return total;
}

/* The reference: the same evaluations as a C loop, no crossing at all. */
double beta_loop(long n)
{
    double acc = 0;
    for (long i = 0; i < n; i++)
        acc += beta_logpdf(1.0, 2.0, (i % 999 + 1) / 1000.0);
    return acc;
}

struct sample { int id; double weight; };
