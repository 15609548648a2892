#!/usr/bin/env python3
"""Where the wasm's bytes are: sizes of the function bodies by name (what `twiggy top` shows).

Usage: scripts/wasm-size.py [WASM] [N]
  WASM  a module that still has its name section; default the release build before wasm-bindgen
        and wasm-opt: target/wasm32-unknown-unknown/release/opencode_chatgpt_wasm.wasm
        (run `bash scripts/build` first)
  N     how many of the largest functions to list (default 40)
Prints the sections, the N largest functions, and the sum per crate / module of this crate.
Sizes are before wasm-opt and include wasm-bindgen's describe functions: relative weights.
"""
import collections
import sys

path = sys.argv[1] if len(sys.argv) > 1 else "target/wasm32-unknown-unknown/release/opencode_chatgpt_wasm.wasm"
top_n = int(sys.argv[2]) if len(sys.argv) > 2 else 40
data = open(path, "rb").read()


def leb(b, i):
    result = shift = 0
    while True:
        x = b[i]
        i += 1
        result |= (x & 0x7F) << shift
        shift += 7
        if x < 0x80:
            return result, i


def skip_limits(b, j):
    flags, j = leb(b, j)
    _, j = leb(b, j)
    if flags & 1:
        _, j = leb(b, j)
    return j


imported = 0
bodies = []
names = {}
i = 8
while i < len(data):
    sid = data[i]
    size, i = leb(data, i + 1)
    end = i + size
    if sid == 0:
        nl, j = leb(data, i)
        name = data[j:j + nl].decode()
        j += nl
        print(f"section custom:{name:<28} {size:>9,}")
        while name == "name" and j < end:
            sub = data[j]
            sl, j = leb(data, j + 1)
            sub_end = j + sl
            if sub == 1:
                count, j = leb(data, j)
                for _ in range(count):
                    idx, j = leb(data, j)
                    ln, j = leb(data, j)
                    names[idx] = data[j:j + ln].decode("utf8", "replace")
                    j += ln
            j = sub_end
    else:
        print(f"section {sid:<35} {size:>9,}")
        if sid == 2:  # imports: functions among them come first in the index space
            count, j = leb(data, i)
            for _ in range(count):
                for _ in range(2):
                    ln, j = leb(data, j)
                    j += ln
                kind = data[j]
                j += 1
                if kind == 0:
                    _, j = leb(data, j)
                    imported += 1
                elif kind == 1:
                    j = skip_limits(data, j + 1)
                elif kind == 2:
                    j = skip_limits(data, j)
                elif kind == 3:
                    j += 2
        elif sid == 10:
            count, j = leb(data, i)
            for n in range(count):
                ln, j = leb(data, j)
                bodies.append((ln, names.get(imported + n, "?"), imported + n))
                j += ln
    i = end
bodies = [(ln, names.get(idx, "?")) for ln, _, idx in bodies]


def path_of(name):
    """The path of a legacy-mangled Rust name (`_ZN3foo3bar...E` -> [foo, bar, ...])."""
    out = []
    if name.startswith("_ZN"):
        k = 3
        while k < len(name) and name[k].isdigit():
            e = k
            while name[e].isdigit():
                e += 1
            ln = int(name[k:e])
            out.append(name[e:e + ln])
            k = e + ln
    return out


print(f"\ncode: {sum(b for b, _ in bodies):,} B in {len(bodies)} functions\n")
for size, name in sorted(bodies, reverse=True)[:top_n]:
    print(f"{size:>8,}  {'::'.join(path_of(name)) or name}"[:170])
groups = collections.Counter()
for size, name in bodies:
    p = path_of(name)
    if p and p[0] == "opencode_chatgpt_wasm":
        groups["crate::" + "::".join(p[1:2])] += size
        continue
    for c in ["serde_json", "serde_core", "flt2dec", "dlmalloc", "wasm_bindgen", "sha2", "base64", "alloc", "core", "std"]:
        if c in name:
            groups[c] += size
            break
    else:
        groups["other (bindgen shims, describe functions, small)"] += size
print("\nby crate / module:")
for k, v in groups.most_common():
    print(f"{v:>8,}  {k}")
