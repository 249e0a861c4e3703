/* CM_HD marks functions compiled for both host and device: one source for CPU and GPU. */
#ifndef CM_HD_H
#define CM_HD_H
#ifdef __CUDACC__
#define CM_HD __host__ __device__
#else
#define CM_HD
#endif
#endif
