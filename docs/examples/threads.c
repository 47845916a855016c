/* A small C library that runs work on threads it starts itself: Python never saw these
 * threads, yet each one calls back into Python through a function pointer. */

#include <pthread.h>
#include <stdlib.h>

typedef void (*report_fn)(int worker, int step, double value);

struct job {
    report_fn report;
    int worker;
    int steps;
};

static void *work(void *arg)
{
    struct job *job = arg;
    double value = job->worker;
    for (int step = 0; step < job->steps; step++) {
        value += (double)(job->worker + 1) * step;   /* some computation */
        job->report(job->worker, step, value);
    }
    return NULL;
}

/* Starts `workers` threads, each reporting `steps` results through `report`, and waits for
 * them. Returns 0, or -1 if a thread could not be started. */
int run_workers(int workers, int steps, report_fn report)
{
    pthread_t *threads = calloc((size_t)workers, sizeof *threads);
    struct job *jobs = calloc((size_t)workers, sizeof *jobs);
    int started = 0, failed = threads == NULL || jobs == NULL;
    for (; !failed && started < workers; started++) {
        jobs[started] = (struct job){ report, started, steps };
        if (pthread_create(&threads[started], NULL, work, &jobs[started]) != 0) {
            failed = 1;
            started--;
        }
    }
    for (int i = 0; i < started; i++)
        pthread_join(threads[i], NULL);
    free(threads);
    free(jobs);
    return failed ? -1 : 0;
}
