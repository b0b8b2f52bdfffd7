"""PyTorch reference SASRec (CoSeRec-family post-LN layout). See reference.py.

  /usr/bin/python3 bench/reference/sasrec.py --timing [--loss bce|ce]   -> JSON on stdout
  /usr/bin/python3 bench/reference/sasrec.py --export test/fixtures/crosscheck
"""
import sys

from reference import main

if __name__ == "__main__":
    main("sasrec", sys.argv[1:])
