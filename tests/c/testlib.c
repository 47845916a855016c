/* testlib.c: a shared library exercising what an ABI-mode FFI must get right.
 *
 * Built by `make clibs` as build/libtestlib.so. The declarations live in testlib.h, which is
 * also the text tests pass to ffi.cdef(); including it here makes the compiler check both agree.
 */

#include <complex.h>
#include <ctype.h>
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <time.h>
#include <uchar.h>
#include <wchar.h>

#include "testlib.h"

/* ---- no arguments, trivial calls ---- */

static int noargs_count;

void noargs(void) { noargs_count++; }
int noargs_calls(void) { return noargs_count; }
double nop(double a, double b, double c) { (void)b; (void)c; return a; }
int add(int a, int b) { return a + b; }

/* ---- every primitive type ---- */

#define IDENTITY(name, type) type id_##name(type x) { return x; }
#define ADDITION(name, type) type add_##name(type a, type b) { return (type)(a + b); }

IDENTITY(char, char)
IDENTITY(schar, signed char)
IDENTITY(uchar, unsigned char)
IDENTITY(short, short)
IDENTITY(ushort, unsigned short)
IDENTITY(int, int)
IDENTITY(uint, unsigned int)
IDENTITY(long, long)
IDENTITY(ulong, unsigned long)
IDENTITY(longlong, long long)
IDENTITY(ulonglong, unsigned long long)
IDENTITY(float, float)
IDENTITY(double, double)
IDENTITY(longdouble, long double)
IDENTITY(bool, _Bool)
IDENTITY(wchar, wchar_t)
IDENTITY(char16, char16_t)
IDENTITY(char32, char32_t)
IDENTITY(int8, int8_t)
IDENTITY(uint8, uint8_t)
IDENTITY(int16, int16_t)
IDENTITY(uint16, uint16_t)
IDENTITY(int32, int32_t)
IDENTITY(uint32, uint32_t)
IDENTITY(int64, int64_t)
IDENTITY(uint64, uint64_t)
IDENTITY(size, size_t)
IDENTITY(ssize, ssize_t)
IDENTITY(intptr, intptr_t)
IDENTITY(uintptr, uintptr_t)
IDENTITY(ptrdiff, ptrdiff_t)
IDENTITY(fcomplex, float _Complex)
IDENTITY(dcomplex, double _Complex)

ADDITION(schar, signed char)
ADDITION(uchar, unsigned char)
ADDITION(short, short)
ADDITION(ushort, unsigned short)
ADDITION(uint, unsigned int)
ADDITION(long, long)
ADDITION(ulong, unsigned long)
ADDITION(longlong, long long)
ADDITION(ulonglong, unsigned long long)
ADDITION(float, float)
ADDITION(double, double)
ADDITION(longdouble, long double)
ADDITION(int8, int8_t)
ADDITION(uint8, uint8_t)
ADDITION(int16, int16_t)
ADDITION(uint16, uint16_t)
ADDITION(int32, int32_t)
ADDITION(uint32, uint32_t)
ADDITION(int64, int64_t)
ADDITION(uint64, uint64_t)
ADDITION(size, size_t)
ADDITION(ssize, ssize_t)

_Bool not_bool(_Bool x) { return !x; }
float _Complex mul_fcomplex(float _Complex a, float _Complex b) { return a * b; }
double _Complex mul_dcomplex(double _Complex a, double _Complex b) { return a * b; }
int char_is_signed(void) { return (char)-1 < 0; }

/* ---- pointers and strings ---- */

void divmod(int a, int b, int *quotient, int *remainder)
{
    *quotient = a / b;
    *remainder = a % b;
}

void swap_ints(int *a, int *b)
{
    int t = *a;
    *a = *b;
    *b = t;
}

int sum_ints(const int *values, int n)
{
    int total = 0;
    for (int i = 0; i < n; i++)
        total += values[i];
    return total;
}

double sum_doubles(const double *values, size_t n)
{
    double total = 0.0;
    for (size_t i = 0; i < n; i++)
        total += values[i];
    return total;
}

void fill_doubles(double *out, int n, double start, double step)
{
    for (int i = 0; i < n; i++)
        out[i] = start + i * step;
}

static int the_static_int = 42;

int *static_int_ptr(void) { return &the_static_int; }
void get_static_int_ptr(int **out) { *out = &the_static_int; }
int is_null(const void *p) { return p == NULL; }
size_t my_strlen(const char *s) { return strlen(s); }
const char *greeting(void) { return "hello, world"; }

void to_upper(char *s)
{
    for (; *s; s++)
        *s = (char)toupper((unsigned char)*s);
}

char *join_words(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    char *out = malloc(la + lb + 2);
    if (out == NULL)
        return NULL;
    memcpy(out, a, la);
    out[la] = ' ';
    memcpy(out + la + 1, b, lb + 1);
    return out;
}

void free_string(char *s) { free(s); }

int count_char(const char *s, char c)
{
    int n = 0;
    for (; *s; s++)
        n += *s == c;
    return n;
}

size_t wide_len(const wchar_t *s) { return wcslen(s); }

size_t sum_bytes(const unsigned char *data, size_t n)
{
    size_t total = 0;
    for (size_t i = 0; i < n; i++)
        total += data[i];
    return total;
}

/* ---- enums ---- */

enum color next_color(enum color c)
{
    switch (c) {
    case RED: return GREEN;
    case GREEN: return BLUE;
    default: return RED;
    }
}

const char *color_name(enum color c)
{
    switch (c) {
    case RED: return "red";
    case GREEN: return "green";
    case BLUE: return "blue";
    default: return "unknown";
    }
}

/* ---- structs and unions ---- */

struct point make_point(int x, int y) { return (struct point){x, y}; }
int point_sum(struct point p) { return p.x + p.y; }
struct point point_add(struct point a, struct point b) { return (struct point){a.x + b.x, a.y + b.y}; }

void point_translate(point_t *p, int dx, int dy)
{
    p->x += dx;
    p->y += dy;
}

struct mixed make_mixed(char c, double d) { return (struct mixed){c, d}; }
double mixed_sum(struct mixed m) { return m.c + m.d; }
struct floats2 make_floats2(float x, float y) { return (struct floats2){x, y}; }
float floats2_dot(struct floats2 a, struct floats2 b) { return a.x * b.x + a.y * b.y; }
struct big make_big(long long a, long long b, long long c, double d) { return (struct big){a, b, c, d}; }
double big_sum(struct big b) { return (double)(b.a + b.b + b.c) + b.d; }

struct big big_scale(struct big b, int k)
{
    return (struct big){b.a * k, b.b * k, b.c * k, b.d * k};
}

struct with_array make_with_array(int n)
{
    return (struct with_array){n, {n, n + 1, n + 2, n + 3}};
}

int with_array_sum(struct with_array w)
{
    return w.values[0] + w.values[1] + w.values[2] + w.values[3];
}

struct chars3 make_chars3(char a, char b, char c) { return (struct chars3){{a, b, c}}; }
int chars3_sum(struct chars3 t) { return t.tag[0] + t.tag[1] + t.tag[2]; }
union number number_from_int(int i) { return (union number){.i = i}; }
union number number_from_double(double d) { return (union number){.d = d}; }
int number_as_int(union number n) { return n.i; }
double number_as_double(union number n) { return n.d; }
struct rect make_rect(struct point min, struct point max) { return (struct rect){min, max}; }
int rect_area(struct rect r) { return (r.max.x - r.min.x) * (r.max.y - r.min.y); }
int rect_area_ptr(const struct rect *r) { return rect_area(*r); }

struct nested make_nested(int x, int y, char c, double d, short s)
{
    return (struct nested){{x, y}, {c, d}, s};
}

double nested_sum(struct nested n) { return n.p.x + n.p.y + n.m.c + n.m.d + n.s; }

int flags_pack(const struct flags *f)
{
    return (int)(f->a | f->b << 1 | (unsigned)(f->c & 0xf) << 4 | f->d << 8);
}

void flags_set(struct flags *f, unsigned int a, unsigned int b, int c, unsigned int d)
{
    f->a = a;
    f->b = b;
    f->c = c;
    f->d = d;
}

struct counter_obj {
    int value;
};

counter_obj *counter_new(int start)
{
    counter_obj *c = malloc(sizeof *c);
    if (c != NULL)
        c->value = start;
    return c;
}

int counter_next(counter_obj *c) { return c->value++; }
void counter_free(counter_obj *c) { free(c); }

/* ---- variadic functions ---- */

int sum_var(int n, ...)
{
    va_list ap;
    int total = 0;
    va_start(ap, n);
    for (int i = 0; i < n; i++)
        total += va_arg(ap, int);
    va_end(ap);
    return total;
}

double sum_var_d(int n, ...)
{
    va_list ap;
    double total = 0.0;
    va_start(ap, n);
    for (int i = 0; i < n; i++)
        total += va_arg(ap, double);
    va_end(ap);
    return total;
}

long long sum_var_mixed(const char *types, ...)
{
    va_list ap;
    long long total = 0;
    va_start(ap, types);
    for (; *types; types++) {
        switch (*types) {
        case 'i': total += va_arg(ap, int); break;
        case 'l': total += va_arg(ap, long long); break;
        case 'd': total += (long long)va_arg(ap, double); break;
        default: break;
        }
    }
    va_end(ap);
    return total;
}

int format_into(char *buf, size_t size, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, size, fmt, ap);
    va_end(ap);
    return n;
}

/* ---- global variables ---- */

int counter = 0;
double gains[4] = {0.5, 1.0, 1.5, 2.0};
struct point origin_point = {3, 4};
const char *greeting_ptr = "hello, world";
int (*binop)(int, int) = add;
const int answer = 42;

int bump_counter(void) { return ++counter; }
double gains_sum(void) { return gains[0] + gains[1] + gains[2] + gains[3]; }
int call_binop(int a, int b) { return binop(a, b); }
int origin_sum(void) { return origin_point.x + origin_point.y; }

/* ---- errno ---- */

int set_errno(int value)
{
    errno = value;
    return -1;
}

int checked_div(int a, int b)
{
    if (b == 0) {
        errno = EDOM;
        return 0;
    }
    return a / b;
}

/* ---- callbacks ---- */

int apply(int (*f)(int), int x) { return f(x); }
double apply_double(double (*f)(double), double x) { return f(x); }

int apply_n(int (*f)(int), int x, int n)
{
    for (int i = 0; i < n; i++)
        x = f(x);
    return x;
}

int fold_ints(const int *values, int n, int (*f)(int, int), int init)
{
    for (int i = 0; i < n; i++)
        init = f(init, values[i]);
    return init;
}

void sort_ints(int *values, size_t n, int (*cmp)(const void *, const void *))
{
    qsort(values, n, sizeof *values, cmp);
}

void call_with_userdata(void (*f)(void *, int), void *userdata, int x) { f(userdata, x); }
struct point apply_point(struct point (*f)(struct point), struct point p) { return f(p); }

double apply_many(double (*f)(int, double, char, float, long long), int scale)
{
    return f(scale, 0.5 * scale, (char)scale, 0.25f * scale, 1000000000000LL * scale);
}

struct big apply_big(struct big (*f)(struct big, struct mixed), struct big b, struct mixed m)
{
    return f(b, m);
}

struct mixed apply_mixed(struct mixed (*f)(struct floats2, struct mixed), struct floats2 a, struct mixed m)
{
    return f(a, m);
}

long double apply_longdouble(long double (*f)(long double), long double x) { return f(x); }

double _Complex apply_dcomplex(double _Complex (*f)(double _Complex), double _Complex z) { return f(z); }

struct thread_job {
    int (*f)(int);
    int ncalls;
    long long sum;
};

static void *thread_main(void *arg)
{
    struct thread_job *job = arg;
    for (int i = 0; i < job->ncalls; i++)
        job->sum += job->f(i);
    return NULL;
}

long long call_from_threads(int (*f)(int), int nthreads, int ncalls)
{
    if (nthreads <= 0)
        return 0;
    pthread_t *threads = calloc((size_t)nthreads, sizeof *threads);
    struct thread_job *jobs = calloc((size_t)nthreads, sizeof *jobs);
    long long total = 0;
    int started = 0, failed = threads == NULL || jobs == NULL;
    for (; !failed && started < nthreads; started++) {
        jobs[started] = (struct thread_job){ f, ncalls, 0 };
        if (pthread_create(&threads[started], NULL, thread_main, &jobs[started]) != 0)
            failed = 1;
    }
    if (failed && started > 0)
        started--;  /* the last one did not start */
    for (int i = 0; i < started; i++) {
        pthread_join(threads[i], NULL);
        total += jobs[i].sum;
    }
    free(threads);
    free(jobs);
    return failed ? -1 : total;
}

/* Reads values[0], sleeps delay_ms, then sums all n values: memory that is
 * freed while it sleeps is read after it was freed. */
long long sum_after_sleep(const int *values, int n, int delay_ms)
{
    volatile int first = n > 0 ? values[0] : 0;
    (void)first;
    struct timespec pause = { delay_ms / 1000, (long)(delay_ms % 1000) * 1000000L };
    nanosleep(&pause, NULL);
    long long total = 0;
    for (int i = 0; i < n; i++)
        total += values[i];
    return total;
}

/* ---- many arguments ---- */

long long many_ints(int a, int b, int c, int d, int e, int f, int g, int h)
{
    return a + 2LL * b + 3LL * c + 4LL * d + 5LL * e + 6LL * f + 7LL * g + 8LL * h;
}

double many_doubles(double a, double b, double c, double d, double e,
                    double f, double g, double h, double i, double j)
{
    return a + 2 * b + 3 * c + 4 * d + 5 * e + 6 * f + 7 * g + 8 * h + 9 * i + 10 * j;
}

double many_mixed(int a, double b, char c, float d, long long e, double f, short g, float h,
                  unsigned char i, double j, int k, double l, long m, float n)
{
    return a + 2 * b + 3 * c + 4 * d + 5 * (double)e + 6 * f + 7 * g + 8 * h + 9 * i + 10 * j
         + 11 * k + 12 * l + 13 * (double)m + 14 * n;
}

/* ---- two threads at once ---- */

static int peer_marks[2];
static int peer_gave_up;

void peers_reset(void)
{
    __atomic_store_n(&peer_marks[0], 0, __ATOMIC_SEQ_CST);
    __atomic_store_n(&peer_marks[1], 0, __ATOMIC_SEQ_CST);
    __atomic_store_n(&peer_gave_up, 0, __ATOMIC_SEQ_CST);
}

int peer_seen(int side, int wait_ms)
{
    if (side != 0 && side != 1)
        return -1;
    __atomic_store_n(&peer_marks[side], 1, __ATOMIC_SEQ_CST);
    struct timespec start, now;
    clock_gettime(CLOCK_MONOTONIC, &start);
    while (!__atomic_load_n(&peer_marks[1 - side], __ATOMIC_SEQ_CST)) {
        if (__atomic_load_n(&peer_gave_up, __ATOMIC_SEQ_CST))
            return 0;
        clock_gettime(CLOCK_MONOTONIC, &now);
        long elapsed_ms = (now.tv_sec - start.tv_sec) * 1000 + (now.tv_nsec - start.tv_nsec) / 1000000;
        if (elapsed_ms >= wait_ms) {
            __atomic_store_n(&peer_gave_up, 1, __ATOMIC_SEQ_CST);
            return 0;
        }
    }
    return 1;
}

double doubles5(double a, double b, double c, double d, double e)
{
    return a + 2 * b + 3 * c + 4 * d + 5 * e;
}

double doubles8(double a, double b, double c, double d, double e, double f, double g, double h)
{
    return a + 2 * b + 3 * c + 4 * d + 5 * e + 6 * f + 7 * g + 8 * h;
}
