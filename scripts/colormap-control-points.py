#!/usr/bin/env python3
"""Writes src/CamService.Imaging/ColormapPoints.csv: the control points of matplotlib's colormap tables.

matplotlib publishes viridis, inferno and turbo as 256-entry tables (matplotlib/_cm_listed.py; turbo is
Google's table). Rather than hand-copy 768 triples per map, we keep the fewest table entries between
which straight-line interpolation reproduces every entry within TOLERANCE (well under half an 8-bit step,
so the rebuilt table rounds to the same bytes or at worst one step away).

  colormap-control-points.py PATH/TO/matplotlib/_cm_listed.py > src/CamService.Imaging/ColormapPoints.csv

Debian's python3-matplotlib ships that file; `apt-get download python3-matplotlib && dpkg-deb -x` is
enough, nothing needs to be installed. Jet needs no table: it is matplotlib's piecewise-linear
definition, evaluated directly in C#.
"""
from __future__ import annotations

import ast
import sys

TOLERANCE = 0.3 / 255
MAPS = {"Viridis": "_viridis_data", "Inferno": "_inferno_data", "Turbo": "_turbo_data"}


def read_tables(path: str) -> dict[str, list[list[float]]]:
    tree = ast.parse(open(path, encoding="utf-8").read())
    tables = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name):
            name = node.targets[0].id
            if name in MAPS.values():
                tables[name] = ast.literal_eval(node.value)
    return tables


def fits(table, start: int, end: int) -> bool:
    for i in range(start + 1, end):
        t = (i - start) / (end - start)
        for c in range(3):
            value = table[start][c] + (table[end][c] - table[start][c]) * t
            if abs(value - table[i][c]) > TOLERANCE:
                return False
    return True


def control_points(table) -> list[int]:
    points, start = [0], 0
    while start < len(table) - 1:
        end = start + 1
        while end + 1 < len(table) and fits(table, start, end + 1):
            end += 1
        points.append(end)
        start = end
    return points


HEADER = """# Control points of matplotlib's colormap tables (index of 256, r, g, b), written by scripts/colormap-control-points.py.
colormap,index,r,g,b"""


def main() -> None:
    tables = read_tables(sys.argv[1])
    print(HEADER)
    for cs_name, py_name in MAPS.items():
        table = tables[py_name]
        assert len(table) == 256, f"{py_name} has {len(table)} entries"
        for i in control_points(table):
            r, g, b = table[i]
            print(f"{cs_name},{i},{r:.6f},{g:.6f},{b:.6f}")


if __name__ == "__main__":
    main()
