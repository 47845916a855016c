/* The seed article's function: the log of the Beta(a, b) density at x, for 0 < x < 1.
 * (The article wrote log(x - 1.), which is NaN there; this is the density's log(1 - x).) */
#include <math.h>

double beta_logpdf(double a, double b, double x)
{
    double prefactor = lgamma(a + b) - (lgamma(a) + lgamma(b));
    return prefactor + (a - 1.) * log(x) + (b - 1.) * log(1. - x);
}
