/* The heat-equation step declared in evolve.h, built as libevolve.so. */

#include "evolve.h"

void evolve(double *u, double *u_previous, int nx, int ny,
            double a, double dt, double dx2, double dy2)
{
    for (int i = 1; i < nx - 1; i++) {
        for (int j = 1; j < ny - 1; j++) {
            int ij = i * ny + j;
            double d2x = (u_previous[ij + ny] - 2.0 * u_previous[ij] + u_previous[ij - ny]) / dx2;
            double d2y = (u_previous[ij + 1] - 2.0 * u_previous[ij] + u_previous[ij - 1]) / dy2;
            u[ij] = u_previous[ij] + a * dt * (d2x + d2y);
        }
    }
}
