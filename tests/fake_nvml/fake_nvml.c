/* A stand-in for libnvidia-ml.so.1 so the GPU monitor can be tested on machines without a GPU
 * (load it with CMIMIC_NVML_LIB=<path to libfake_nvml.so>). It exports the NVML functions the
 * monitor uses with NVML's C signatures and reports, per query, a pattern a test can predict:
 *   GPU0 "Fake GPU 0": utilisation cycles 0, 50, 100, 0, ... (one step per query);
 *                      memory used cycles 1024, 2048, 3072 MiB of 8192 MiB;
 *                      power cycles 100, 200, 300 W.
 *   GPU1 "Fake GPU 1": utilisation 40 %, memory 512 of 16384 MiB, power 75 W, constant.
 * Each counter restarts when nvmlInit_v2 takes the library from uninitialised to initialised.
 * FAKE_NVML_GPUS=<n> (0..2) overrides the GPU count; FAKE_NVML_NO_POWER=1 makes power
 * readings fail with NVML_ERROR_NOT_SUPPORTED; FAKE_NVML_RAMP=1 makes GPU0's utilisation ramp
 * 0, 1, ..., 99, 0, ... (a spread wide enough to tell percentiles apart). */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef int nvmlReturn_t;
typedef struct nvmlDevice_st *nvmlDevice_t;
typedef struct { unsigned int gpu, memory; } nvmlUtilization_t;
typedef struct { unsigned long long total, free, used; } nvmlMemory_t;

enum { OK = 0, UNINITIALIZED = 1, INVALID_ARGUMENT = 2, NOT_SUPPORTED = 3 };
#define FAKE_GPUS 2
#define MIB (1024ull * 1024ull)

struct nvmlDevice_st {
  int index;
};
static struct nvmlDevice_st devices[FAKE_GPUS] = {{0}, {1}};
static atomic_int init_count;
static atomic_long util_calls[FAKE_GPUS], mem_calls[FAKE_GPUS], power_calls[FAKE_GPUS];

static int device_index(nvmlDevice_t d) {
  if (d == &devices[0]) return 0;
  if (d == &devices[1]) return 1;
  return -1;
}

static unsigned num_gpus(void) {
  const char *s = getenv("FAKE_NVML_GPUS");
  if (!s || !*s) return FAKE_GPUS;
  int n = atoi(s);
  return n < 0 ? 0 : n > FAKE_GPUS ? FAKE_GPUS : (unsigned)n;
}

nvmlReturn_t nvmlInit_v2(void) {
  if (atomic_fetch_add(&init_count, 1) == 0) {
    for (int i = 0; i < FAKE_GPUS; i++) util_calls[i] = mem_calls[i] = power_calls[i] = 0;
  }
  return OK;
}

nvmlReturn_t nvmlShutdown(void) {
  if (atomic_load(&init_count) <= 0) return UNINITIALIZED;
  atomic_fetch_sub(&init_count, 1);
  return OK;
}

const char *nvmlErrorString(nvmlReturn_t r) {
  switch (r) {
    case OK: return "Success";
    case UNINITIALIZED: return "Uninitialized";
    case INVALID_ARGUMENT: return "Invalid Argument";
    case NOT_SUPPORTED: return "Not Supported";
    default: return "Unknown Error";
  }
}

nvmlReturn_t nvmlDeviceGetCount_v2(unsigned int *count) {
  if (atomic_load(&init_count) <= 0) return UNINITIALIZED;
  if (!count) return INVALID_ARGUMENT;
  *count = num_gpus();
  return OK;
}

nvmlReturn_t nvmlDeviceGetHandleByIndex_v2(unsigned int index, nvmlDevice_t *device) {
  if (atomic_load(&init_count) <= 0) return UNINITIALIZED;
  if (!device || index >= num_gpus()) return INVALID_ARGUMENT;
  *device = &devices[index];
  return OK;
}

nvmlReturn_t nvmlDeviceGetName(nvmlDevice_t device, char *name, unsigned int length) {
  int i = device_index(device);
  if (atomic_load(&init_count) <= 0) return UNINITIALIZED;
  if (i < 0 || !name || length == 0) return INVALID_ARGUMENT;
  snprintf(name, length, "Fake GPU %d", i);
  return OK;
}

nvmlReturn_t nvmlDeviceGetUtilizationRates(nvmlDevice_t device, nvmlUtilization_t *util) {
  int i = device_index(device);
  if (atomic_load(&init_count) <= 0) return UNINITIALIZED;
  if (i < 0 || !util) return INVALID_ARGUMENT;
  long k = atomic_fetch_add(&util_calls[i], 1);
  const char *ramp = getenv("FAKE_NVML_RAMP");
  if (i == 0 && ramp && strcmp(ramp, "1") == 0)
    util->gpu = (unsigned)(k % 100);
  else
    util->gpu = i == 0 ? (unsigned)(50 * (k % 3)) : 40u;
  util->memory = util->gpu / 2;
  return OK;
}

nvmlReturn_t nvmlDeviceGetMemoryInfo(nvmlDevice_t device, nvmlMemory_t *mem) {
  int i = device_index(device);
  if (atomic_load(&init_count) <= 0) return UNINITIALIZED;
  if (i < 0 || !mem) return INVALID_ARGUMENT;
  long k = atomic_fetch_add(&mem_calls[i], 1);
  mem->total = (i == 0 ? 8192 : 16384) * MIB;
  mem->used = i == 0 ? (unsigned long long)(1024 * (k % 3 + 1)) * MIB : 512 * MIB;
  mem->free = mem->total - mem->used;
  return OK;
}

nvmlReturn_t nvmlDeviceGetPowerUsage(nvmlDevice_t device, unsigned int *milliwatts) {
  int i = device_index(device);
  if (atomic_load(&init_count) <= 0) return UNINITIALIZED;
  if (i < 0 || !milliwatts) return INVALID_ARGUMENT;
  const char *no_power = getenv("FAKE_NVML_NO_POWER");
  if (no_power && strcmp(no_power, "1") == 0) return NOT_SUPPORTED;
  long k = atomic_fetch_add(&power_calls[i], 1);
  *milliwatts = i == 0 ? (unsigned)(100000 * (k % 3 + 1)) : 75000u;
  return OK;
}
