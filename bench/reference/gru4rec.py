"""PyTorch reference GRU4Rec (RecBole layout, no GRU biases). See reference.py.

  /usr/bin/python3 bench/reference/gru4rec.py --timing [--loss bce|ce]   -> JSON on stdout
  /usr/bin/python3 bench/reference/gru4rec.py --export test/fixtures/crosscheck
"""
import sys

from reference import main

if __name__ == "__main__":
    main("gru4rec", sys.argv[1:])
