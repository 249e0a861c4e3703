/* TensorBoard event files: CRC32C against published test vectors (RFC 3720 B.4), and whole
 * files read back by an independent python3 reader (tests/oracles/tfevents_read.py: its own
 * bitwise CRC, hand-decoded protobuf), which must also reject a corrupted copy. */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "check.h"
#include "core/fileio.h"
#include "io/tb_events.h"
#include "python_oracle.h"

static char g_dir[256];

static void test_crc_vectors(void) {
  unsigned char zeros[32] = {0}, ones[32], inc[32];
  memset(ones, 0xff, sizeof ones);
  for (int i = 0; i < 32; i++) inc[i] = (unsigned char)i;
  CHECK(cm_crc32c(0, "123456789", 9) == 0xe3069283u);
  CHECK(cm_crc32c(0, zeros, 32) == 0x8a9136aau);
  CHECK(cm_crc32c(0, ones, 32) == 0x62a8ab43u);
  CHECK(cm_crc32c(0, inc, 32) == 0x46dd794eu);
  /* continuing a CRC over a split buffer gives the CRC of the whole */
  CHECK(cm_crc32c(cm_crc32c(0, "1234", 4), "56789", 5) == 0xe3069283u);
}

/* Runs the reader on path; returns its parsed JSON or NULL (reader failed). */
static cJSON *read_back(const char *py, const char *path) {
  char cmd[1500], out[1100];
  snprintf(out, sizeof out, "%s/read.json", g_dir);
  snprintf(cmd, sizeof cmd, "%s tests/oracles/tfevents_read.py '%s' >'%s' 2>%s/read.err", py, path, out, g_dir);
  if (system(cmd) != 0) return NULL;
  char *text = NULL;
  cm_err err;
  if (cm_read_file(out, &text, NULL, &err)) return NULL;
  cJSON *j = cJSON_Parse(text);
  free(text);
  return j;
}

static void test_file_round_trip(const char *py) {
  cm_err err;
  cm_tb *tb = NULL;
  CHECK_OK(cm_tb_open(g_dir, &tb, &err), &err);
  if (!tb) return;
  char path[1300];
  snprintf(path, sizeof path, "%s", cm_tb_path(tb));
  char host[256] = "";
  gethostname(host, sizeof host - 1);
  CHECK(strstr(path, "/events.out.tfevents.") != NULL && strstr(path, host) != NULL);
  const char *tags[3] = {"0_Main/Test_Return", "1_Info/Iteration", "Misc/Loss"};
  enum { ROWS = 5 };
  int64_t steps[ROWS] = {0, 4096, 8192, 300000, 5000000000LL};
  for (int r = 0; r < ROWS; r++) {
    double vals[3] = {0.25 * r - 1.0, r, 1e-3 / (r + 1)};
    CHECK_OK(cm_tb_write_row(tb, steps[r], 3, tags, vals, &err), &err);
  }
  cm_tb_close(tb);
  /* a second writer in the same folder (a resume) gets its own file */
  cm_tb *tb2 = NULL;
  CHECK_OK(cm_tb_open(g_dir, &tb2, &err), &err);
  if (tb2) CHECK(strcmp(cm_tb_path(tb2), path) != 0);
  cm_tb_close(tb2);

  cJSON *j = read_back(py, path);
  CHECK(j != NULL);
  if (!j) return;
  CHECK(!strcmp(cJSON_GetObjectItem(j, "file_version")->valuestring, "brain.Event:2"));
  cJSON *evs = cJSON_GetObjectItem(j, "events");
  CHECK(cJSON_GetArraySize(evs) == ROWS);
  double now = (double)time(NULL);
  for (int r = 0; r < ROWS && r < cJSON_GetArraySize(evs); r++) {
    cJSON *ev = cJSON_GetArrayItem(evs, r), *vals = cJSON_GetObjectItem(ev, "values");
    CHECK(cJSON_GetObjectItem(ev, "step")->valuedouble == (double)steps[r]);
    CHECK(fabs(cJSON_GetObjectItem(ev, "wall_time")->valuedouble - now) < 3600);
    CHECK(cJSON_GetArraySize(vals) == 3);
    double expect[3] = {0.25 * r - 1.0, r, 1e-3 / (r + 1)};
    for (int k = 0; k < 3; k++) {
      cJSON *v = cJSON_GetObjectItem(vals, tags[k]);
      CHECK(v != NULL);
      if (v) CHECK(v->valuedouble == (double)(float)expect[k]); /* stored as float32 */
    }
  }
  cJSON_Delete(j);

  /* the reader can fail: one flipped byte in the last record's data is caught by its CRC */
  char *data = NULL, bad[1400];
  size_t len = 0;
  CHECK_OK(cm_read_file(path, &data, &len, &err), &err);
  if (!data) return;
  data[len - 10] ^= 0x20;
  snprintf(bad, sizeof bad, "%s/corrupt.tfevents", g_dir);
  CHECK_OK(cm_write_file_atomic(bad, data, len, &err), &err);
  CHECK(read_back(py, bad) == NULL);
  /* and a torn tail (a crash inside the last write) */
  CHECK_OK(cm_write_file_atomic(bad, data, len - 3, &err), &err);
  CHECK(read_back(py, bad) == NULL);
  free(data);
}

int main(void) {
  snprintf(g_dir, sizeof g_dir, "/tmp/cm_test_tb_events_%ld", (long)getpid());
  cm_err err;
  cm_mkdirs(g_dir, &err);
  test_crc_vectors();
  const char *py = python_find("json, struct");
  if (py) test_file_round_trip(py);
  else printf("python3 not available: skipping the independent reader\n");
  char cmd[300];
  snprintf(cmd, sizeof cmd, "rm -rf %s", g_dir);
  if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", g_dir);
  return check_report("test_tb_events");
}
