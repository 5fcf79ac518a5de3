#!/usr/bin/env python3
"""The Python peer of trainer_bench: the same model, optimizer (SGD, momentum 0.9), schedule
(torch.optim.lr_scheduler.OneCycleLR), batch size, thread count and in-memory data, in a plain
PyTorch loop. Prints one JSON line with the steady-state steps/s."""
import argparse
import json
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


class Mlp(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc0 = nn.Linear(784, 256)
        self.fc1 = nn.Linear(256, 128)
        self.out = nn.Linear(128, 10)

    def forward(self, x):
        x = x.flatten(1)
        return self.out(F.relu(self.fc1(F.relu(self.fc0(x)))))


class Cnn(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 16, 3, padding=1)
        self.conv2 = nn.Conv2d(16, 32, 3, padding=1)
        self.fc = nn.Linear(32 * 7 * 7, 32)
        self.out = nn.Linear(32, 10)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        return self.out(F.relu(self.fc(x.flatten(1))))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", default="mlp")
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--steps", type=int, default=200)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    examples = max(4096, args.batch * (args.steps + 10))
    images = torch.randn(examples, 1, 28, 28)
    labels = torch.randint(10, (examples,))
    model = Mlp() if args.model == "mlp" else Cnn()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    scheduler = torch.optim.lr_scheduler.OneCycleLR(optimizer, 0.05, total_steps=args.steps)
    order = torch.randperm(examples)
    times = []
    for step in range(args.steps):
        index = order[step * args.batch:(step + 1) * args.batch]
        x, y = images.index_select(0, index), labels.index_select(0, index)
        optimizer.zero_grad()
        loss = F.cross_entropy(model(x), y, reduction="sum") / len(index)
        loss.backward()
        optimizer.step()
        scheduler.step()
        loss.item()  # the C++ trainer reads the loss every step too
        times.append(time.perf_counter())
    print(json.dumps({"model": args.model, "batch": args.batch, "threads": args.threads,
                      "steps": args.steps,
                      "steps_per_second": (len(times) - 2) / (times[-2] - times[0])}))


if __name__ == "__main__":
    main()
