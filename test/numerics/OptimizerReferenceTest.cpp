//===- OptimizerReferenceTest.cpp - Compiled updates vs textbook formulas -===//
//
// Each model in optimizers/ has loss mean(sum(x * w, axis 1)), so the
// gradient is the batch mean of x and the parameters after each of five
// steps depend only on the update rule. The expected values come from the
// formulas of Keras' optimizers and schedules written out here in double
// precision; the compiled state must agree within 1e-5 (relative 1e-4).
//
//===----------------------------------------------------------------------===//
#include <kiln/model.h>
#include <kiln/train.h>

#include "clip_norm.h"
#include "clip_value.h"
#include "opt_adagrad.h"
#include "opt_adam.h"
#include "opt_adamw.h"
#include "opt_momentum.h"
#include "opt_nesterov.h"
#include "opt_rmsprop.h"
#include "opt_sgd.h"
#include "reg_l1.h"
#include "reg_l2.h"
#include "sched_cosine.h"
#include "sched_exponential.h"
#include "sched_piecewise.h"

#include <gtest/gtest.h>

#include <array>
#include <cmath>
#include <functional>

namespace {

constexpr int N = 4; // elements of w
using Vec = std::array<double, N>;

/// Reference optimizer state: the parameter and up to three slots.
struct Reference {
  Vec w{}, a{}, b{}, c{};
};

/// Applies one step to `r` given the gradient and the step index t (1-based).
using Rule = std::function<void(Reference &r, const Vec &g, int t)>;

struct Case {
  const char *name;
  kiln_model model;
  int64_t wOffset;
  Rule rule;
  /// The loss train_step reports besides the data loss (penalties).
  std::function<double(const Vec &w)> penalty = [](const Vec &) { return 0.0; };
};

/// Plain SGD with learning rate `lr`.
void sgdStep(Reference &r, const Vec &g, double lr) {
  for (int i = 0; i < N; ++i)
    r.w[i] -= lr * g[i];
}

std::vector<Case> cases() {
  return {
      {"sgd", opt_sgd_kiln_model(), OPT_SGD_W_OFFSET,
       [](Reference &r, const Vec &g, int) { sgdStep(r, g, 0.1); }},
      {"momentum", opt_momentum_kiln_model(), OPT_MOMENTUM_W_OFFSET,
       [](Reference &r, const Vec &g, int) {
         for (int i = 0; i < N; ++i) {
           r.a[i] = 0.9 * r.a[i] - 0.1 * g[i];
           r.w[i] += r.a[i];
         }
       }},
      {"nesterov", opt_nesterov_kiln_model(), OPT_NESTEROV_W_OFFSET,
       [](Reference &r, const Vec &g, int) {
         for (int i = 0; i < N; ++i) {
           r.a[i] = 0.9 * r.a[i] - 0.1 * g[i];
           r.w[i] += 0.9 * r.a[i] - 0.1 * g[i];
         }
       }},
      {"adam", opt_adam_kiln_model(), OPT_ADAM_W_OFFSET,
       [](Reference &r, const Vec &g, int t) {
         double b1 = 0.9, b2 = 0.999, lr = 0.01, eps = 1e-7;
         for (int i = 0; i < N; ++i) {
           r.a[i] = b1 * r.a[i] + (1 - b1) * g[i];
           r.b[i] = b2 * r.b[i] + (1 - b2) * g[i] * g[i];
           double mHat = r.a[i] / (1 - std::pow(b1, t));
           double vHat = r.b[i] / (1 - std::pow(b2, t));
           // Keras folds the corrections into the step size, so epsilon
           // is scaled by sqrt(1 - b2^t) relative to the textbook form.
           r.w[i] -= lr * mHat /
                     (std::sqrt(vHat) + eps / std::sqrt(1 - std::pow(b2, t)));
         }
       }},
      {"adamw", opt_adamw_kiln_model(), OPT_ADAMW_W_OFFSET,
       [](Reference &r, const Vec &g, int t) {
         double b1 = 0.8, b2 = 0.999, lr = 0.01, eps = 1e-7, wd = 0.1;
         for (int i = 0; i < N; ++i) {
           r.w[i] -= lr * wd * r.w[i];
           r.a[i] = b1 * r.a[i] + (1 - b1) * g[i];
           r.b[i] = b2 * r.b[i] + (1 - b2) * g[i] * g[i];
           double alpha =
               lr * std::sqrt(1 - std::pow(b2, t)) / (1 - std::pow(b1, t));
           r.w[i] -= alpha * r.a[i] / (std::sqrt(r.b[i]) + eps);
         }
       }},
      {"rmsprop", opt_rmsprop_kiln_model(), OPT_RMSPROP_W_OFFSET,
       [](Reference &r, const Vec &g, int) {
         double rho = 0.9, lr = 0.01, eps = 1e-7, momentum = 0.5;
         for (int i = 0; i < N; ++i) {
           r.a[i] = rho * r.a[i] + (1 - rho) * g[i] * g[i]; // velocity
           r.c[i] = rho * r.c[i] + (1 - rho) * g[i];        // mean gradient
           double increment =
               lr * g[i] / std::sqrt(r.a[i] - r.c[i] * r.c[i] + eps);
           r.b[i] = momentum * r.b[i] + increment;
           r.w[i] -= r.b[i];
         }
       }},
      {"adagrad", opt_adagrad_kiln_model(), OPT_ADAGRAD_W_OFFSET,
       [](Reference &r, const Vec &g, int t) {
         for (int i = 0; i < N; ++i) {
           if (t == 1)
             r.a[i] = 0.1; // initial_accumulator_value
           r.a[i] += g[i] * g[i];
           r.w[i] -= 0.1 * g[i] / std::sqrt(r.a[i] + 1e-7);
         }
       }},
      {"exponential_decay", sched_exponential_kiln_model(),
       SCHED_EXPONENTIAL_W_OFFSET,
       [](Reference &r, const Vec &g, int t) {
         // Step t uses the rate at t - 1 completed steps.
         sgdStep(r, g, 0.1 * std::pow(0.5, std::floor((t - 1) / 2.0)));
       }},
      {"piecewise_constant", sched_piecewise_kiln_model(),
       SCHED_PIECEWISE_W_OFFSET,
       [](Reference &r, const Vec &g, int t) {
         // Keras: values[0] while completed steps <= 1, values[1] while <= 3.
         int completed = t - 1;
         sgdStep(r, g, completed <= 1 ? 0.1 : completed <= 3 ? 0.05 : 0.02);
       }},
      {"cosine_decay_warmup", sched_cosine_kiln_model(), SCHED_COSINE_W_OFFSET,
       [](Reference &r, const Vec &g, int t) {
         double s = t - 1, pi = std::acos(-1.0);
         double cosine = 0.5 * (1 + std::cos(pi * std::min(s, 4.0) / 4));
         double rate = 0.1 * ((1 - 0.1) * cosine + 0.1);
         sgdStep(r, g, rate * std::min(1.0, (s + 1) / 2));
       }},
      {"clipnorm", clip_norm_kiln_model(), CLIP_NORM_W_OFFSET,
       [](Reference &r, const Vec &g, int) {
         double norm = 0;
         for (double v : g)
           norm += v * v;
         norm = std::sqrt(norm);
         Vec clipped = g;
         for (double &v : clipped)
           v *= norm > 0.5 ? 0.5 / norm : 1.0;
         sgdStep(r, clipped, 0.1);
       }},
      {"clipvalue", clip_value_kiln_model(), CLIP_VALUE_W_OFFSET,
       [](Reference &r, const Vec &g, int) {
         Vec clipped = g;
         for (double &v : clipped)
           v = std::max(-0.3, std::min(0.3, v));
         sgdStep(r, clipped, 0.1);
       }},
      {"l2", reg_l2_kiln_model(), REG_L2_W_OFFSET,
       [](Reference &r, const Vec &g, int) {
         Vec total = g;
         for (int i = 0; i < N; ++i)
           total[i] += 2 * 0.05 * r.w[i];
         sgdStep(r, total, 0.1);
       },
       [](const Vec &w) {
         double sum = 0;
         for (double v : w)
           sum += v * v;
         return 0.05 * sum;
       }},
      {"l1", reg_l1_kiln_model(), REG_L1_W_OFFSET,
       [](Reference &r, const Vec &g, int) {
         Vec total = g;
         for (int i = 0; i < N; ++i)
           total[i] += 0.05 * ((r.w[i] > 0) - (r.w[i] < 0));
         sgdStep(r, total, 0.1);
       },
       [](const Vec &w) {
         double sum = 0;
         for (double v : w)
           sum += std::fabs(v);
         return 0.05 * sum;
       }},
  };
}

class OptimizerReference : public ::testing::TestWithParam<Case> {};

TEST_P(OptimizerReference, FiveStepsMatchTheFormula) {
  const Case &c = GetParam();
  const kiln_model &m = c.model;
  auto *state = static_cast<unsigned char *>(kiln_state_alloc(&m));
  m.init(state, 3);
  auto *w = reinterpret_cast<float *>(state + c.wOffset);
  Reference ref;
  for (int i = 0; i < N; ++i)
    ref.w[i] = w[i];

  const int batch = 3;
  std::vector<int32_t> labels(batch, 0);
  for (int t = 1; t <= 5; ++t) {
    // A different batch each step, so the gradient changes sign and size.
    std::vector<float> x(batch * N);
    Vec g{};
    for (int r = 0; r < batch; ++r)
      for (int i = 0; i < N; ++i) {
        x[r * N + i] = std::sin(1.7 * t + 0.9 * i + 0.4 * r) * (1 + 0.5 * t);
        g[i] += x[r * N + i] / batch;
      }
    double dataLoss = 0;
    for (int i = 0; i < N; ++i)
      dataLoss += g[i] * ref.w[i];
    double expectedLoss = dataLoss + c.penalty(ref.w);
    float loss = m.train_step(state, x.data(), labels.data(), batch);
    EXPECT_NEAR(loss, expectedLoss, 1e-5 + 1e-4 * std::fabs(expectedLoss))
        << c.name << " loss at step " << t;
    c.rule(ref, g, t);
    for (int i = 0; i < N; ++i)
      EXPECT_NEAR(w[i], ref.w[i], 1e-5 + 1e-4 * std::fabs(ref.w[i]))
          << c.name << " w[" << i << "] after step " << t;
  }
  kiln_state_free(state);
}

INSTANTIATE_TEST_SUITE_P(Optimizers, OptimizerReference,
                         ::testing::ValuesIn(cases()),
                         [](const ::testing::TestParamInfo<Case> &info) {
                           return std::string(info.param.name);
                         });

} // namespace
