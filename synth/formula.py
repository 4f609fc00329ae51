"""Formulas: sampled LaTeX by field, drawn by matplotlib's mathtext (a TeX subset, no TeX install).

The label of a formula is the exact LaTeX source handed to the engine, in one canonical form
(braces around every script and argument, one space between tokens where TeX needs one), so
re-rendering the label with the same engine, font set and size gives the same ink. Mathtext has
no array/matrix environment; the only matrix-like construct it draws is a two-entry column
(`\\binom`), used for vectors and binomials.

Rendering is a pure function of (latex, fontset, size px): the engine returns a coverage mask,
which scenes composite in any ink colour. matplotlib is imported on first use only.
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np

from fonts_manifest.errors import PolyglyphError

FONTSETS = ("dejavusans", "dejavuserif", "cm", "stix", "stixsans")
FIELDS = ("algebra", "calculus", "chemistry", "vectors", "statistics")
_VARS = ("x", "y", "z", "t", "a", "b", "n", "k", "u", "v")
_GREEK = (r"\alpha", r"\beta", r"\gamma", r"\theta", r"\lambda", r"\mu", r"\sigma", r"\omega",
          r"\phi", r"\pi")
_FUNCS = (r"\sin", r"\cos", r"\tan", r"\ln", r"\exp", r"\log")
_ELEMENTS = ("H", "C", "N", "O", "Na", "Cl", "Ca", "Fe", "S", "K", "Mg", "Al", "Cu", "Zn", "P")
_IONS = (("Na", "+"), ("Cl", "-"), ("Ca", "2+"), ("Fe", "3+"), ("SO", "2-"), ("Mg", "2+"),
         ("OH", "-"), ("NH", "+"), ("Cu", "2+"), ("Al", "3+"))


def _pick(rng: np.random.Generator, options: tuple[str, ...]) -> str:
    return options[int(rng.integers(len(options)))]


def _int(rng: np.random.Generator, lo: int, hi: int) -> str:
    return str(int(rng.integers(lo, hi + 1)))


def _poly(rng: np.random.Generator, var: str) -> str:
    """c_n x^{n} + ... + c_0 with small coefficients (no coefficient 1 written, no + -)."""
    degree = int(rng.integers(1, 4))
    terms = []
    for power in range(degree, -1, -1):
        coef = int(rng.integers(-9, 10))
        if coef == 0 and power != degree:
            continue
        coef = coef or 1
        mag = "" if abs(coef) == 1 and power else str(abs(coef))
        body = mag + (var if power == 1 else f"{var}^{{{power}}}" if power else "")
        sign = "-" if coef < 0 else "+"
        terms.append(("-" if coef < 0 else "") + body if not terms else f"{sign} {body}")
    return " ".join(terms)


def _algebra(rng: np.random.Generator) -> str:
    x, a, b = _pick(rng, _VARS[:4]), _pick(rng, ("a", "b", "c")), _pick(rng, ("p", "q", "m"))
    root, power = _int(rng, 3, 5), _int(rng, 2, 9)
    forms = (
        lambda: f"{x} = \\frac{{-b \\pm \\sqrt{{b^{{2}} - 4ac}}}}{{2a}}",
        lambda: f"f({x}) = {_poly(rng, x)}",
        lambda: f"({a} + {b})^{{2}} = {a}^{{2}} + 2{a}{b} + {b}^{{2}}",
        lambda: f"\\frac{{{x} + {_int(rng, 1, 9)}}}{{{x} - {_int(rng, 1, 9)}}} \\geq {_int(rng, 0, 5)}",
        lambda: f"\\sqrt[{root}]{{{a}^{{{power}}}}} = {a}^{{\\frac{{{power}}}{{{root}}}}}",
        lambda: f"|{x} - {_int(rng, 1, 20)}| < \\varepsilon",
        lambda: f"\\log_{{{_int(rng, 2, 10)}}} ({a} {b}) = \\log_{{{_int(rng, 2, 10)}}} {a} + \\log_{{{_int(rng, 2, 10)}}} {b}",
    )
    return forms[int(rng.integers(len(forms)))]()


def _calculus(rng: np.random.Generator) -> str:
    x, f = _pick(rng, ("x", "t", "u")), _pick(rng, _FUNCS)
    n, lo = _int(rng, 2, 9), _int(rng, 0, 3)
    derivative = _pick(rng, (r"\cos", r"-\sin", r"\frac{1}{x}"))
    upper = _pick(rng, ("n", "N", r"\infty"))
    greek = _pick(rng, _GREEK)
    forms = (
        lambda: f"\\int_{{{lo}}}^{{\\infty}} e^{{-{x}^{{2}}}} \\, d{x} = \\frac{{\\sqrt{{\\pi}}}}{{2}}",
        lambda: f"\\frac{{d}}{{d{x}}} {f} {x} = {derivative} {x}",
        lambda: f"\\lim_{{{x} \\to 0}} \\frac{{\\sin {x}}}{{{x}}} = 1",
        lambda: f"\\sum_{{k=1}}^{{{upper}}} \\frac{{1}}{{k^{{{n}}}}}",
        lambda: f"\\int_{{{lo}}}^{{{n}}} {_poly(rng, x)} \\, d{x}",
        lambda: f"\\frac{{\\partial^{{2}} u}}{{\\partial {x}^{{2}}}} = c^{{2}} \\nabla^{{2}} u",
        lambda: f"\\prod_{{i=1}}^{{n}} (1 + {greek}_{{i}})",
        lambda: f"f'({x}) = \\lim_{{h \\to 0}} \\frac{{f({x} + h) - f({x})}}{{h}}",
    )
    return forms[int(rng.integers(len(forms)))]()


def _species(rng: np.random.Generator) -> str:
    """A molecule like \\mathrm{H}_{2}\\mathrm{SO}_{4}: element symbols upright, counts below."""
    parts = []
    for _ in range(int(rng.integers(1, 4))):
        count = int(rng.integers(1, 5))
        sub = f"_{{{count}}}" if count > 1 else ""
        parts.append(f"\\mathrm{{{_pick(rng, _ELEMENTS)}}}{sub}")
    return "".join(parts)


def _chemistry(rng: np.random.Generator) -> str:
    ion, charge = _IONS[int(rng.integers(len(_IONS)))]
    forms = (
        lambda: f"{_species(rng)} + {_species(rng)} \\rightarrow {_species(rng)}",
        lambda: f"\\mathrm{{{ion}}}^{{{charge}}}",
        lambda: f"{_int(rng, 2, 4)}{_species(rng)} + {_species(rng)} \\rightleftharpoons "
                f"{_int(rng, 2, 4)}{_species(rng)}",
        lambda: "\\mathrm{pH} = -\\log_{10} [\\mathrm{H}^{+}]",
        lambda: f"{_species(rng)} \\rightarrow \\mathrm{{{ion}}}^{{{charge}}} + {_species(rng)}",
    )
    return forms[int(rng.integers(len(forms)))]()


def _vectors(rng: np.random.Generator) -> str:
    a, b, c, d = (_int(rng, -9, 9) for _ in range(4))
    pb, pc, pd = (f"({v})" if v.startswith("-") else v for v in (b, c, d))  # 3 \cdot (-4)
    forms = (
        lambda: f"\\vec{{v}} = \\binom{{{a}}}{{{b}}}",
        lambda: f"\\binom{{{a}}}{{{b}}} + \\binom{{{c}}}{{{d}}} = "
                f"\\binom{{{int(a) + int(c)}}}{{{int(b) + int(d)}}}",
        lambda: "\\binom{n}{k} = \\frac{n!}{k! (n - k)!}",
        lambda: "\\|\\vec{u}\\| = \\sqrt{u_{1}^{2} + u_{2}^{2}}",
        lambda: f"\\vec{{a}} \\cdot \\vec{{b}} = {a} \\cdot {pc} + {pb} \\cdot {pd}",
    )
    return forms[int(rng.integers(len(forms)))]()


def _statistics(rng: np.random.Generator) -> str:
    forms = (
        lambda: r"\bar{x} = \frac{1}{n} \sum_{i=1}^{n} x_{i}",
        lambda: r"\sigma^{2} = \frac{1}{n - 1} \sum_{i=1}^{n} (x_{i} - \bar{x})^{2}",
        lambda: r"P(A \mid B) = \frac{P(B \mid A) P(A)}{P(B)}",
        lambda: r"f(x) = \frac{1}{\sigma \sqrt{2 \pi}} e^{-\frac{(x - \mu)^{2}}{2 \sigma^{2}}}",
        lambda: f"E[X] = \\sum_{{k=0}}^{{{_int(rng, 3, 9)}}} k \\, p_{{k}}",
    )
    return forms[int(rng.integers(len(forms)))]()


def sample_inline_formula(rng: np.random.Generator) -> dict[str, str]:
    """A short expression that sits inside a line of text."""
    x, n = _pick(rng, _VARS[:4]), _int(rng, 2, 9)
    forms = (
        ("algebra", f"{x}^{{{n}}}"), ("algebra", f"\\sqrt{{{n}}}"),
        ("algebra", f"\\frac{{1}}{{{n}}}"), ("algebra", f"{x}_{{{n}}}"),
        ("algebra", f"{x} \\leq {n}"), ("statistics", f"{_pick(rng, _GREEK)}^{{2}}"),
        ("chemistry", f"\\mathrm{{{_pick(rng, _ELEMENTS)}}}_{{{n}}}"),
        ("calculus", f"f'({x})"), ("algebra", "E = mc^{2}"),
    )
    field, latex = forms[int(rng.integers(len(forms)))]
    return {"field": field, "latex": latex}


_SAMPLERS = {"algebra": _algebra, "calculus": _calculus, "chemistry": _chemistry,
             "vectors": _vectors, "statistics": _statistics}


def sample_formula(rng: np.random.Generator, field: str | None = None) -> dict[str, str]:
    """{field, latex}: one formula of `field` (drawn when None)."""
    field = field or _pick(rng, FIELDS)
    if field not in _SAMPLERS:
        raise PolyglyphError(f"unknown formula field {field!r}; choose from {', '.join(FIELDS)}")
    return {"field": field, "latex": _SAMPLERS[field](rng)}


@functools.lru_cache(maxsize=1)
def _parser() -> Any:
    from matplotlib.mathtext import MathTextParser

    return MathTextParser("agg")


_FIND_SIZE = 12.0  # the one size font look-ups are made at (see `_size_free_findfont`)


@functools.lru_cache(maxsize=1)
def _bundled_fonts() -> Any:
    """matplotlib's font manager limited to the faces matplotlib ships (mpl-data/fonts).

    Every face mathtext's five font sets ask for (DejaVu, STIX, Computer Modern) is there, and
    matplotlib lists its own faces first, so the full manager finds the same files; but on a
    machine with the whole font pool installed the full list holds ~5,000 faces, and each new
    look-up scored all of them (~0.1 s; ~36 distinct look-ups per process, which fell in the
    first few hundred rows: ~3 s a worker). Checked: the 36 look-ups of 7,500 formulas in every
    font set give the same file from both managers. It also keeps formula ink independent of
    the system fonts installed."""
    import copy

    from matplotlib import cbook, font_manager

    full = font_manager.fontManager
    own = str(cbook._get_data_path("fonts"))
    bundled = copy.copy(full)
    bundled.ttflist = [f for f in full.ttflist if f.fname.startswith(own)]
    bundled.afmlist = [f for f in full.afmlist if f.fname.startswith(own)]
    return bundled if bundled.ttflist else full


def _size_free_findfont() -> Any:
    """matplotlib's `findfont` asked at one fixed size, among matplotlib's own faces: the same
    file, and its cache hits.

    mathtext looks up its default font with the caller's FontProperties, whose size is part of
    matplotlib's cache key, so every new formula size scored the whole system font list
    (~5,000 faces, ~0.1 s) again. The score ignores size for every listed face (ttf and afm
    entries are all 'scalable', whose size score is 0), so the file found is the same. It
    replaces matplotlib's module-level `findfont` (the full manager's) in mathtext."""

    def findfont(prop: Any, *args: Any, **kwargs: Any) -> Any:
        from matplotlib.font_manager import FontProperties

        if isinstance(prop, FontProperties) and prop.get_size() != _FIND_SIZE:
            prop = prop.copy()
            prop.set_size(_FIND_SIZE)
        return _bundled_fonts().findfont(prop, *args, **kwargs)

    return findfont


@functools.lru_cache(maxsize=256)
def _render_cached(latex: str, fontset: str, size: int) -> tuple[np.ndarray, float]:
    import matplotlib
    from matplotlib import _mathtext
    from matplotlib.font_manager import FontProperties

    if not getattr(_mathtext.findfont, "_polyglyph_size_free", False):
        _mathtext.findfont = _size_free_findfont()
        _mathtext.findfont._polyglyph_size_free = True
    with matplotlib.rc_context({"mathtext.fontset": fontset}):
        try:
            result = _parser().parse(f"${latex}$", dpi=72, prop=FontProperties(size=size))
        except ValueError as exc:  # mathtext's parse errors are ValueErrors
            first = str(exc).splitlines()[0] if str(exc) else "parse error"
            raise PolyglyphError(f"formula {latex!r} cannot be drawn: {first}") from None
        finally:
            _drop_symbol_cache(_mathtext)
    mask = np.asarray(result.image, dtype=np.uint8)
    mask.setflags(write=False)
    return mask, float(mask.shape[0] - result.depth)  # baseline, from the image's top


def _drop_symbol_cache(mathtext: Any) -> None:
    """Empty mathtext's class-level `functools.cache` on
    `StixFonts.get_sized_alternatives_for_symbol`: its key holds the parse's own font-set
    object, new for every parse, so no later parse can hit it, yet it keeps every parse's
    font set and glyph cache alive (+13.8 MiB over 1,200 formulas, unbounded over a run)."""
    method = getattr(getattr(mathtext, "StixFonts", None), "get_sized_alternatives_for_symbol",
                     None)
    if hasattr(method, "cache_clear"):
        method.cache_clear()


def render_formula(latex: str, fontset: str = "dejavusans", size: int = 32) -> np.ndarray:
    """Coverage mask (H x W uint8, 255 = ink) of `latex` drawn by mathtext, cropped to its ink."""
    return render_formula_with_baseline(latex, fontset, size)[0]


def render_formula_with_baseline(latex: str, fontset: str = "dejavusans",
                                 size: int = 32) -> tuple[np.ndarray, float]:
    """The ink-cropped coverage mask and the y of the math baseline inside it (inline math
    sits on the text's baseline)."""
    if fontset not in FONTSETS:
        raise PolyglyphError(f"unknown formula font set {fontset!r}; choose from "
                             f"{', '.join(FONTSETS)}")
    if not 6 <= int(size) <= 400:
        raise PolyglyphError(f"formula size {size} px out of range 6..400")
    mask, baseline = _render_cached(latex, fontset, int(size))
    rows, cols = np.nonzero(mask)
    if len(rows) == 0:
        return mask, baseline
    crop = mask[rows.min(): rows.max() + 1, cols.min(): cols.max() + 1]
    return crop, baseline - float(rows.min())


def composite_mask(canvas: np.ndarray, mask: np.ndarray, x: int, y: int,
                   colour: Any) -> list[list[float]]:
    """Blend `colour` into `canvas` through `mask` at top-left (x, y), clipped to the canvas.
    Returns the box polygon of the mask as placed (clockwise from top-left)."""
    h, w = mask.shape
    H, W = canvas.shape[:2]
    x0, y0, x1, y1 = max(0, x), max(0, y), min(W, x + w), min(H, y + h)
    if x1 > x0 and y1 > y0:
        alpha = mask[y0 - y: y1 - y, x0 - x: x1 - x, None].astype(np.float32) / 255.0
        region = canvas[y0:y1, x0:x1].astype(np.float32)
        ink = np.asarray(colour, np.float32)[: canvas.shape[2]]
        canvas[y0:y1, x0:x1] = np.round(region * (1 - alpha) + ink * alpha).astype(np.uint8)
    return [[float(x), float(y)], [float(x + w), float(y)], [float(x + w), float(y + h)],
            [float(x), float(y + h)]]
