"""Semi-supervised M2 with 100 and 1,000 labels: the classifier's test error, then the analogies.

    python examples/train_m2.py                                  # mnist-5k, 100 and 1000 labels
    python examples/train_m2.py --dataset fashion-mnist --epochs 30 --labels 100

Each run draws its labelled examples once (balanced over the classes, with the seed) and
treats the whole training set as unlabelled. Printed per epoch: the test error of
q(y|x) and the test bound U(x) on -log p(x). Same as
``autoencoders train m2 --set labels=100 --dataset ...``.
"""

import argparse

from autoencoders.plots.variational import plot_variational
from autoencoders.training import make_config, read_metrics, train


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", default="mnist-5k")
    parser.add_argument("--labels", type=int, nargs="+", default=[100, 1000])
    parser.add_argument("--epochs", type=int, default=None, help="default: the model's")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default="runs/example-m2")
    parser.add_argument("--set", nargs="*", default=[], metavar="KEY=VALUE", help="other options, JSON values")
    args = parser.parse_args()

    import json
    extra = {key: json.loads(value) for key, value in (item.split("=", 1) for item in args.set)}
    results = {}
    for labels in args.labels:
        run_dir = f"{args.out}-{args.dataset}-{labels}"
        config = make_config("m2", dataset=args.dataset, labels=labels, epochs=args.epochs, seed=args.seed, **extra)
        train(config, run_dir, overwrite=True)
        records = read_metrics(run_dir)
        for record in records:
            test = record["test"]
            print(f"{labels} labels, epoch {record['epoch']:3d}: test error {test['error']:.2%}, "
                  f"U(x) {test['unlabelled']:.2f}")
        results[labels] = records[-1]["test"]["error"]
        print("wrote", ", ".join(str(path) for path in plot_variational(run_dir)))
    for labels, error in results.items():
        print(f"{args.dataset}, {labels} labels: test error {error:.2%}")


if __name__ == "__main__":
    main()
