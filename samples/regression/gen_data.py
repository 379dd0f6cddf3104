#!/usr/bin/env python3
"""Writes the regression samples' CSV data, deterministically (standard
library only; rerunning reproduces the committed files byte for byte).

  logistic_{train,test}.csv  x1,x2,label: two Gaussian blobs, label 1 with
                             probability sigmoid(2*x1 - 3*x2 + 0.5)
  linear_{train,test}.csv    x1,x2,x3,y: y = 1.5*x1 - 2*x2 + 0.5*x3 + 3 + noise
                             (a real-valued target: see README.md)
"""
import math
import os
import random

HERE = os.path.dirname(os.path.abspath(__file__))


def write(name, header, rows):
    with open(os.path.join(HERE, name), "w", newline="\n") as f:
        f.write(",".join(header) + "\n")
        for row in rows:
            f.write(",".join(v if isinstance(v, str) else "%.6g" % v for v in row) + "\n")


def logistic(rng, n):
    rows = []
    for _ in range(n):
        x1, x2 = rng.gauss(0, 1), rng.gauss(0, 1)
        p = 1 / (1 + math.exp(-(2 * x1 - 3 * x2 + 0.5)))
        rows.append((x1, x2, str(int(rng.random() < p))))
    return rows


def linear(rng, n):
    rows = []
    for _ in range(n):
        x = [rng.uniform(-2, 2) for _ in range(3)]
        y = 1.5 * x[0] - 2 * x[1] + 0.5 * x[2] + 3 + rng.gauss(0, 0.1)
        rows.append((*x, y))
    return rows


rng = random.Random(1)
write("logistic_train.csv", ["x1", "x2", "label"], logistic(rng, 400))
write("logistic_test.csv", ["x1", "x2", "label"], logistic(rng, 200))
write("linear_train.csv", ["x1", "x2", "x3", "y"], linear(rng, 400))
write("linear_test.csv", ["x1", "x2", "x3", "y"], linear(rng, 200))
