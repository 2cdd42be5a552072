"""Collectives a backend lacks, built from point-to-point send/recv.

Older gloo builds have no all_to_all or reduce_scatter. The probe then times these direct
versions instead (every rank exchanges one chunk with every other rank), and marks the points
`emulated`, since a library implementation could be faster.
"""

from __future__ import annotations

from typing import Any


def all_to_all(dist: Any, out: Any, inp: Any, rank: int, world: int) -> None:
    """out[chunk p] = what rank p sent to this rank; inp[chunk p] goes to rank p."""
    sends, recvs = list(inp.chunk(world)), list(out.chunk(world))
    requests = []
    for peer in range(world):
        if peer != rank:
            requests.append(dist.isend(sends[peer].contiguous(), peer))
            requests.append(dist.irecv(recvs[peer], peer))
    recvs[rank].copy_(sends[rank])
    for request in requests:
        request.wait()


def reduce_scatter(dist: Any, out: Any, inp: Any, rank: int, world: int) -> None:
    """out = sum over ranks of their inp[chunk rank] (direct exchange, then local adds)."""
    chunks = list(inp.chunk(world))
    incoming = [out.new_empty(out.shape) for _ in range(world)]
    requests = []
    for peer in range(world):
        if peer != rank:
            requests.append(dist.isend(chunks[peer].contiguous(), peer))
            requests.append(dist.irecv(incoming[peer], peer))
    out.copy_(chunks[rank])
    for request in requests:
        request.wait()
    for peer in range(world):
        if peer != rank:
            out.add_(incoming[peer])
