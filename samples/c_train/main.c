/* Trains the MLP sample from a plain C program: the model is compiled ahead
 * of time by kilnc (see CMakeLists.txt), the data and the loop come from
 * libkilnrt. Usage: c_train [epochs] */
#include <kiln/dataset.h>
#include <kiln/model.h>
#include <kiln/report.h>
#include <kiln/train.h>

/* After kiln/model.h, so the header also defines mlp_kiln_model(). */
#include "mlp.h"

#include <stdio.h>
#include <stdlib.h>

#define DATA "/usr/share/datasets/fashion-mnist/"

int main(int argc, char **argv) {
  char err[512];
  kiln_dataset *train = kiln_dataset_load_idx(
      DATA "train-images-idx3-ubyte.gz", DATA "train-labels-idx1-ubyte.gz",
      1.0f / 255, 0.0f, err, sizeof err);
  kiln_dataset *test = train ? kiln_dataset_load_idx(
                                   DATA "t10k-images-idx3-ubyte.gz",
                                   DATA "t10k-labels-idx1-ubyte.gz",
                                   1.0f / 255, 0.0f, err, sizeof err)
                             : NULL;
  if (!train || !test) {
    fprintf(stderr, "c_train: %s\n", err);
    return 1;
  }
  kiln_model model = mlp_kiln_model();
  kiln_train_options options;
  kiln_train_options_init(&options);
  options.epochs = argc > 1 ? atoi(argv[1]) : 1;
  options.batch_size = 64;
  options.seed = 1;
  kiln_report report;
  int status = kiln_train(&model, &options, train, test, &report, err, sizeof err);
  if (status == 0)
    printf("test_accuracy %.4f  test_loss %.4f  %.0f img/s\n",
           report.test_accuracy, report.test_loss, report.images_per_second);
  else
    fprintf(stderr, "c_train: %s\n", err);
  kiln_report_free(&report);
  kiln_dataset_free(train);
  kiln_dataset_free(test);
  return status == 0 ? 0 : 1;
}
