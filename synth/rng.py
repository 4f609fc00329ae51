"""Per-sample randomness: every random choice comes from a Generator derived from (seed, index).

Never the global RNG. The derivation is stable across processes, platforms and worker counts,
so a sample can be re-made from its seed alone.
"""

from __future__ import annotations

import hashlib

import numpy as np


def sample_seed(run_seed: int, index: int, stream: str = "sample") -> int:
    """A 63-bit seed from (run seed, sample index, stream name), stable everywhere."""
    digest = hashlib.blake2b(f"{stream}:{int(run_seed)}:{int(index)}".encode(), digest_size=8)
    return int.from_bytes(digest.digest(), "little") & ((1 << 63) - 1)


def sample_rng(seed: int) -> np.random.Generator:
    return np.random.Generator(np.random.PCG64(int(seed)))


def child_rng(rng: np.random.Generator, stage: str) -> np.random.Generator:
    """An independent Generator for one stage, so adding draws in one stage never shifts another."""
    salt = int.from_bytes(hashlib.blake2b(stage.encode(), digest_size=4).digest(), "little")
    return np.random.Generator(np.random.PCG64([int(rng.integers(0, 2**63 - 1)), salt]))
