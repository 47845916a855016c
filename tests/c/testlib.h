/* testlib.h: the declarations of libtestlib, written in cffi's cdef dialect.
 *
 * Tests feed this file as-is to ffi.cdef() (rffi and cffi alike), and testlib.c includes it
 * after the system headers, so the compiler checks that declarations and definitions agree.
 * Rules that keep it cdef-compatible: no #include, no macros other than "#define NAME integer",
 * globals declared "extern" (cffi warns otherwise), no attributes.
 */

#define TESTLIB_VERSION 3
#define TESTLIB_GAINS_LEN 4
#define TESTLIB_MASK 0xff
#define TESTLIB_NEGATIVE -7

/* ---- no arguments, trivial calls (also used by benchmarks) ---- */
void noargs(void);
int noargs_calls(void);             /* how many times noargs() ran */
double nop(double a, double b, double c);   /* returns a */
int add(int a, int b);

/* ---- every primitive type: identity, and addition for the arithmetic ones ---- */
char id_char(char x);
signed char id_schar(signed char x);
unsigned char id_uchar(unsigned char x);
short id_short(short x);
unsigned short id_ushort(unsigned short x);
int id_int(int x);
unsigned int id_uint(unsigned int x);
long id_long(long x);
unsigned long id_ulong(unsigned long x);
long long id_longlong(long long x);
unsigned long long id_ulonglong(unsigned long long x);
float id_float(float x);
double id_double(double x);
long double id_longdouble(long double x);
_Bool id_bool(_Bool x);
wchar_t id_wchar(wchar_t x);
char16_t id_char16(char16_t x);
char32_t id_char32(char32_t x);
int8_t id_int8(int8_t x);
uint8_t id_uint8(uint8_t x);
int16_t id_int16(int16_t x);
uint16_t id_uint16(uint16_t x);
int32_t id_int32(int32_t x);
uint32_t id_uint32(uint32_t x);
int64_t id_int64(int64_t x);
uint64_t id_uint64(uint64_t x);
size_t id_size(size_t x);
ssize_t id_ssize(ssize_t x);
intptr_t id_intptr(intptr_t x);
uintptr_t id_uintptr(uintptr_t x);
ptrdiff_t id_ptrdiff(ptrdiff_t x);
float _Complex id_fcomplex(float _Complex x);
double _Complex id_dcomplex(double _Complex x);

signed char add_schar(signed char a, signed char b);
unsigned char add_uchar(unsigned char a, unsigned char b);   /* wraps modulo 256 */
short add_short(short a, short b);
unsigned short add_ushort(unsigned short a, unsigned short b);
unsigned int add_uint(unsigned int a, unsigned int b);
long add_long(long a, long b);
unsigned long add_ulong(unsigned long a, unsigned long b);
long long add_longlong(long long a, long long b);
unsigned long long add_ulonglong(unsigned long long a, unsigned long long b);
float add_float(float a, float b);
double add_double(double a, double b);
long double add_longdouble(long double a, long double b);
_Bool not_bool(_Bool x);
int8_t add_int8(int8_t a, int8_t b);
uint8_t add_uint8(uint8_t a, uint8_t b);
int16_t add_int16(int16_t a, int16_t b);
uint16_t add_uint16(uint16_t a, uint16_t b);
int32_t add_int32(int32_t a, int32_t b);
uint32_t add_uint32(uint32_t a, uint32_t b);
int64_t add_int64(int64_t a, int64_t b);
uint64_t add_uint64(uint64_t a, uint64_t b);
size_t add_size(size_t a, size_t b);
ssize_t add_ssize(ssize_t a, ssize_t b);
float _Complex mul_fcomplex(float _Complex a, float _Complex b);
double _Complex mul_dcomplex(double _Complex a, double _Complex b);
int char_is_signed(void);           /* 1 if plain char is signed on this target */

/* ---- pointers and strings ---- */
void divmod(int a, int b, int *quotient, int *remainder);
void swap_ints(int *a, int *b);
int sum_ints(const int *values, int n);
double sum_doubles(const double *values, size_t n);
void fill_doubles(double *out, int n, double start, double step);
int *static_int_ptr(void);          /* points to a static int that starts at 42 */
void get_static_int_ptr(int **out); /* stores static_int_ptr() into *out */
int is_null(const void *p);
size_t my_strlen(const char *s);
const char *greeting(void);         /* "hello, world" */
void to_upper(char *s);             /* in place, ASCII only */
char *join_words(const char *a, const char *b);  /* "a b", malloc'd: free with free_string */
void free_string(char *s);
int count_char(const char *s, char c);
size_t wide_len(const wchar_t *s);
size_t sum_bytes(const unsigned char *data, size_t n);

/* ---- enums ---- */
enum color { RED, GREEN = 5, BLUE, NEGATIVE_COLOR = -1 };
enum color next_color(enum color c);   /* RED -> GREEN -> BLUE -> RED */
const char *color_name(enum color c);

/* ---- structs and unions ---- */
struct point { int x; int y; };                      /* 8 bytes: one INTEGER eightbyte */
typedef struct point point_t;
struct mixed { char c; double d; };                  /* 16 bytes: INTEGER + SSE */
struct floats2 { float x; float y; };                /* 8 bytes: one SSE eightbyte */
struct big { long long a; long long b; long long c; double d; };   /* 32 bytes: in memory */
struct with_array { int n; int values[4]; };         /* 20 bytes: in memory */
struct chars3 { char tag[3]; };                      /* 3 bytes, align 1 */
union number { int i; float f; double d; };
struct rect { struct point min; struct point max; }; /* nested, 16 bytes */
struct nested { struct point p; struct mixed m; short s; };   /* nested, 32 bytes */
struct flags { unsigned int a : 1; unsigned int b : 3; int c : 4; unsigned int d : 24; };
typedef struct counter_obj counter_obj;              /* opaque */

struct point make_point(int x, int y);
int point_sum(struct point p);
struct point point_add(struct point a, struct point b);
void point_translate(point_t *p, int dx, int dy);
struct mixed make_mixed(char c, double d);
double mixed_sum(struct mixed m);
struct floats2 make_floats2(float x, float y);
float floats2_dot(struct floats2 a, struct floats2 b);
struct big make_big(long long a, long long b, long long c, double d);
double big_sum(struct big b);
struct big big_scale(struct big b, int k);
struct with_array make_with_array(int n);   /* values = {n, n+1, n+2, n+3} */
int with_array_sum(struct with_array w);
struct chars3 make_chars3(char a, char b, char c);
int chars3_sum(struct chars3 t);
/* By value, unions and complex numbers raise NotImplementedError in cffi's ABI mode. */
union number number_from_int(int i);
union number number_from_double(double d);
int number_as_int(union number n);
double number_as_double(union number n);
struct rect make_rect(struct point min, struct point max);
int rect_area(struct rect r);
int rect_area_ptr(const struct rect *r);
struct nested make_nested(int x, int y, char c, double d, short s);
double nested_sum(struct nested n);
int flags_pack(const struct flags *f);      /* a | b << 1 | (c & 0xf) << 4 | d << 8 */
void flags_set(struct flags *f, unsigned int a, unsigned int b, int c, unsigned int d);
counter_obj *counter_new(int start);
int counter_next(counter_obj *c);           /* returns the current value, then increments */
void counter_free(counter_obj *c);

/* ---- variadic functions ---- */
int sum_var(int n, ...);                    /* n ints */
double sum_var_d(int n, ...);               /* n doubles */
long long sum_var_mixed(const char *types, ...);  /* 'i' int, 'l' long long, 'd' double (truncated) */
int format_into(char *buf, size_t size, const char *fmt, ...);   /* vsnprintf */

/* ---- global variables ---- */
extern int counter;
extern double gains[4];
extern struct point origin_point;
extern const char *greeting_ptr;
extern int (*binop)(int, int);                     /* starts as add */
extern const int answer;                    /* 42; cffi: NotImplementedError in ABI mode */
int bump_counter(void);                     /* ++counter */
double gains_sum(void);
int call_binop(int a, int b);               /* binop(a, b) */
int origin_sum(void);                       /* origin_point.x + origin_point.y */

/* ---- errno ---- */
int set_errno(int value);                   /* errno = value; returns -1 */
int checked_div(int a, int b);              /* b == 0: errno = EDOM (33), returns 0 */

/* ---- callbacks ---- */
int apply(int (*f)(int), int x);
double apply_double(double (*f)(double), double x);
int apply_n(int (*f)(int), int x, int n);   /* x = f(x), n times */
int fold_ints(const int *values, int n, int (*f)(int, int), int init);
void sort_ints(int *values, size_t n, int (*cmp)(const void *, const void *));
void call_with_userdata(void (*f)(void *, int), void *userdata, int x);
struct point apply_point(struct point (*f)(struct point), struct point p);
double apply_many(double (*f)(int, double, char, float, long long), int scale);
struct big apply_big(struct big (*f)(struct big, struct mixed), struct big b, struct mixed m);
struct mixed apply_mixed(struct mixed (*f)(struct floats2, struct mixed), struct floats2 a, struct mixed m);
long double apply_longdouble(long double (*f)(long double), long double x);
double _Complex apply_dcomplex(double _Complex (*f)(double _Complex), double _Complex z);
/* Starts nthreads threads (C threads Python never saw); each calls f(i) for i in 0..ncalls-1.
 * Joins them all and returns the sum of every result, or -1 if a thread could not start. */
long long call_from_threads(int (*f)(int), int nthreads, int ncalls);
/* Reads values[0], sleeps delay_ms milliseconds, then returns the sum of the n values. */
long long sum_after_sleep(const int *values, int n, int delay_ms);

/* ---- two threads at once (ffi.ufunc releases the GIL) ---- */
void peers_reset(void);
/* Marks `side` (0 or 1) as running, then waits up to wait_ms for the other side's mark: 1 if
 * it came, 0 if not (and every later call returns 0 at once, until peers_reset). */
int peer_seen(int side, int wait_ms);

/* ---- many arguments (some of them on the stack) ---- */
long long many_ints(int a, int b, int c, int d, int e, int f, int g, int h);   /* sum of (i+1)*arg_i */
double many_doubles(double a, double b, double c, double d, double e,
                    double f, double g, double h, double i, double j);       /* sum of (i+1)*arg_i */
double doubles5(double a, double b, double c, double d, double e);   /* sum of (i+1)*arg_i */
double doubles8(double a, double b, double c, double d, double e, double f, double g,
                double h);                                          /* sum of (i+1)*arg_i */
double many_mixed(int a, double b, char c, float d, long long e, double f, short g, float h,
                  unsigned char i, double j, int k, double l, long m, float n);   /* sum of (i+1)*arg_i */
