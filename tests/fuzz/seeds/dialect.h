/* Seed declarations for the cdef fuzzer (tests/fuzz/cases.py): one of each construct of the
 * cdef dialect that testlib.h does not show, for mutations to start from. Not compiled. */

#define FLAG_A (1 << 0)
#define FLAG_B (1 << 3)
#define FLAGS (FLAG_A | FLAG_B)
#define OFFSET -3
#define BIG 0xffffffffffffffffULL
#define SHIFTED (FLAGS << 4)
enum sizes { WORD = sizeof(long), TWICE = WORD * 2, NEG = -TWICE, HEXA = 0x10 };
enum flags8 { F0 = 1, F1 = F0 << 1, F2 = F1 << 1, F3 = (F2 | F1) + 1 };
struct header { char tag; int length; } __attribute__((packed));
struct slot { char used; double value __attribute__((aligned(16))); };
struct aligned_s { char c; } __attribute__((aligned(64)));
typedef struct { int v; } __attribute__((aligned(8))) aligned_int;
struct with_typedef_aligned { char c; aligned_int i; };
struct bits { unsigned a : 1; unsigned b : 7; unsigned : 0; int c : 3; long long d : 40; _Bool e : 1; };
struct bits_packed { char c; int x : 9; } __attribute__((packed));
struct anon { int kind; union { int i; double d; struct { short lo, hi; }; }; };
struct flex { int n; double data[]; };
struct matrix { double m[4][4]; int dims[2]; };
struct list_node { struct list_node *next; void *value; int (*cmp)(const void *, const void *); };
typedef struct opaque opaque_t;
typedef int (*callback_t)(int, double, const char *);
typedef callback_t table_t[8];
typedef struct { int x, y, z; } vec3;
union word { unsigned int u; float f; unsigned char bytes[4]; };
extern int global_counter;
extern double global_table[16];
extern struct matrix identity;
extern callback_t handlers[4];
int variadic(const char *fmt, ...);
void takes_array(int values[10], double grid[][3], size_t n);
const char *const *names(void);
void (*signal_like(int sig, void (*handler)(int)))(int);
long double ld_op(long double a, long double _Complex *b);
volatile int *volatile vp(int *restrict a, const int *restrict b);
unsigned long long ull(unsigned long long);
signed char sc(short s, unsigned short us, long l, unsigned long ul);
int8_t i8(uint8_t a, int16_t b, uint16_t c, int32_t d, uint32_t e, int64_t f, uint64_t g);
intptr_t ip(uintptr_t a, ptrdiff_t b, ssize_t c, size_t d, wchar_t e, char16_t f, char32_t g);
float _Complex fc(double _Complex dc);
static const int SCONST = 7;
