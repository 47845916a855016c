/* Adds b into a, element by element: the library behind abi_add.py. */

void add(double *a, double *b, int n)
{
    for (int i = 0; i < n; i++)
        a[i] += b[i];
}
