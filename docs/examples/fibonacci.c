/* One step of the Fibonacci sequence: (a, b) becomes (b, a + b). */

void fibo(int *a, int *b)
{
    int next = *a + *b;
    *a = *b;
    *b = next;
}
