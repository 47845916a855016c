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

/* The same over an array, as ffi.ufunc(beta_logpdf) runs it: out[i] = beta_logpdf(a, b, x[i]). */
void beta_logpdf_array(double a, double b, const double *x, double *out, long n)
{
    for (long i = 0; i < n; i++)
        out[i] = beta_logpdf(a, b, x[i]);
}

struct sample { int id; double weight; };

/* Callbacks from C threads: nthreads threads Python never saw, each calling f(i) for i in
 * 0..ncalls-1. Returns the sum of every result, or -1 if a thread could not start. */
#include <pthread.h>
#include <stdlib.h>

struct job { int (*f)(int); int ncalls; long long sum; };

static void *job_main(void *arg)
{
    struct job *job = arg;
    for (int i = 0; i < job->ncalls; i++)
        job->sum += job->f(i);
    return NULL;
}

long long call_from_threads(int (*f)(int), int nthreads, int ncalls)
{
    pthread_t threads[64];
    struct job jobs[64];
    if (nthreads < 0 || nthreads > 64)
        return -1;
    int started = 0;
    for (; started < nthreads; started++) {
        jobs[started] = (struct job){ f, ncalls, 0 };
        if (pthread_create(&threads[started], NULL, job_main, &jobs[started]) != 0)
            break;
    }
    long long total = 0;
    for (int i = 0; i < started; i++) {
        pthread_join(threads[i], NULL);
        total += jobs[i].sum;
    }
    return started == nthreads ? total : -1;
}
