/* One explicit time step of the 2D heat equation on an nx * ny grid stored row by row.
 * Only interior points change; the boundary keeps its values.
 * Plain declarations only: heat_equation.py passes this file to ffi.cdef(). */
void evolve(double *u, double *u_previous, int nx, int ny,
            double a, double dt, double dx2, double dy2);
