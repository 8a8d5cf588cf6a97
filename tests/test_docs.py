"""The docs site: derivation pages carry the committed generated code, `mkdocs build --strict`
passes, every derivation and activation gets its page or row, and nothing in the built site
loads anything from another host. The site is built once per session (``site`` in conftest.py)."""

from __future__ import annotations

import importlib.util
import json
import re
from fnmatch import fnmatch
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from derivations import DERIVATIONS
from derivations.codegen import GENERATED_DIR
from derivations.docs import FIGURES, TARGET_FILES, export_code, figures_of, latex, nav_title, render

ROOT = Path(__file__).resolve().parent.parent

#: Hosts an ``<a href>`` may point to: navigation links to papers, never loaded resources.
PAPER_HOSTS = frozenset({"arxiv.org", "doi.org", "proceedings.mlr.press", "openreview.net", "papers.nips.cc",
                         "proceedings.neurips.cc", "jmlr.org"})

#: Absolute URLs that may appear as string literals in vendored JavaScript, each with the reason it
#: is never requested by this site: (file name pattern, URL prefix, reason).
JS_URL_ALLOWLIST = (
    ("katex.min.js", "http://www.w3.org/1998/Math/MathML", "XML namespace identifier, not fetched"),
    ("katex.min.js", "http://www.w3.org/2000/svg", "XML namespace identifier, not fetched"),
    ("bundle.*.min.js", "http://www.w3.org/2000/svg", "XML namespace identifier, not fetched"),
    ("bundle.*.min.js", "https://api.github.com/", "material's repository facts: only with repo_url, which is unset"),
    ("bundle.*.min.js", "https://${", "material's GitLab repository facts: only with repo_url, which is unset"),
    ("bundle.*.min.js", "https://unpkg.com/mermaid", "material's mermaid loader: only on pages with mermaid diagrams"),
    ("bundle.*.min.js", "https://unpkg.com/resize-observer-polyfill",
     "material's polyfill: only in browsers without ResizeObserver"),
)

URL_ATTRIBUTES = frozenset({"src", "href", "srcset", "data", "poster", "action", "formaction", "xlink:href",
                            "background", "cite", "longdesc", "manifest", "icon", "ping"})
CSS_URL = re.compile(r"""url\(\s*(['"]?)([^'")]*)\1\s*\)|@import\s+(['"])([^'"]+)\3""", re.IGNORECASE)
JS_URL = re.compile(r"""["'`]((?:https?|wss?)://[^"'`\s]*|//[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+[^"'`\s]*)""")


def is_local(url: str) -> bool:
    """A URL this site may load: relative, same-origin absolute path, loopback host, or data:/blob:/about:."""
    url = url.strip()
    if not url or url.startswith("#"):
        return True
    parts = urlsplit(url)
    if parts.scheme in ("data", "blob", "about", "javascript", "mailto"):
        return True
    if not parts.scheme and not parts.netloc:
        return True
    return parts.hostname in ("127.0.0.1", "localhost", "::1")


class UrlCollector(HTMLParser):
    """Every URL an HTML page references: (tag, attribute, url), plus inline style and script text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.urls: list[tuple[str, str, str]] = []
        self.inline: list[tuple[str, str]] = []
        self._stack: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._stack.append(tag)
        values = dict(attrs)
        for name, value in attrs:
            if value is None:
                continue
            if name == "srcset":
                self.urls += [(tag, name, part.split()[0]) for part in value.split(",") if part.strip()]
            elif name in URL_ATTRIBUTES:
                self.urls.append((tag, name, value))
            elif name == "style":
                self.inline.append(("style", value))
        if tag == "meta" and (values.get("http-equiv") or "").lower() == "refresh":
            target = (values.get("content") or "").partition("url=")[2]
            self.urls.append((tag, "content", target))

    def handle_endtag(self, tag: str) -> None:
        if self._stack and self._stack[-1] == tag:
            self._stack.pop()

    def handle_data(self, data: str) -> None:
        if self._stack and self._stack[-1] in ("style", "script"):
            self.inline.append((self._stack[-1], data))


def css_urls(text: str) -> list[str]:
    return [m.group(2) if m.group(2) is not None else m.group(4) for m in CSS_URL.finditer(text)]


def js_external_urls(name: str, text: str) -> list[str]:
    """Absolute URL literals in JavaScript not covered by :data:`JS_URL_ALLOWLIST`."""
    found = []
    for match in JS_URL.finditer(text):
        url = match.group(1)
        if is_local(url):
            continue
        if any(fnmatch(name, pattern) and url.startswith(prefix) for pattern, prefix, _ in JS_URL_ALLOWLIST):
            continue
        found.append(url)
    return found


# ------------------------------------------------------------------------ pages from derivations


def test_every_page_carries_the_committed_generated_code() -> None:
    committed = {name: (GENERATED_DIR / name).read_text() for name in TARGET_FILES.values()}
    for derivation in DERIVATIONS:
        page = render(derivation)
        for export in derivation.exports:
            for target in export.targets:
                code = export_code(export, derivation, target)
                assert code in committed[TARGET_FILES[target]], (derivation.slug, export.name, target)
                indented = "\n".join(f"    {line}" if line else "" for line in code.splitlines())
                assert indented in page, (derivation.slug, export.name, target)


def test_every_page_shows_every_step_and_the_result() -> None:
    for derivation in DERIVATIONS:
        page = render(derivation)
        assert page.startswith(f"---\ntitle: {json.dumps(nav_title(derivation))}\n---\n")
        assert f"# {derivation.title}" in page
        for step in derivation.steps:
            assert latex(step.claim) in page, (derivation.slug, step.why)
            assert step.why in page and step.method.description in page
        assert page.count(f"$$\n{latex(derivation.result)}\n$$") >= 1
        for assumption in derivation.assumptions:
            assert assumption in page


def test_notation_renders_code_names_as_math() -> None:
    import sympy as sp

    fan_in, weight_variance, depth = sp.symbols("fan_in weight_variance depth", positive=True)
    assert latex(fan_in * weight_variance / 2) == r"\frac{n_{\mathrm{in}} \operatorname{Var}(w)}{2}"
    assert latex(sp.Symbol("receptive_field")) == r"\mathrm{receptive\_field}"
    assert latex(depth) == "L"


def test_figures_are_registered_for_existing_derivations() -> None:
    slugs = {d.slug for d in DERIVATIONS}
    pages = {spec.page for spec in FIGURES.values()}
    assert pages <= slugs, pages - slugs


def test_a_page_shows_all_its_figures_with_titles() -> None:
    kaiming = next(d for d in DERIVATIONS if d.slug == "kaiming")
    names = [name for name, spec in FIGURES.items() if spec.page == "kaiming"]
    assert len(names) >= 2
    figures = figures_of("kaiming", {name: f"caption of {name}" for name in names}, lambda name: f"{name}.png")
    page = render(kaiming, figures)
    for name in names:
        assert f"### {FIGURES[name].title}" in page and f"]({name}.png)" in page and f"caption of {name}" in page
    single = render(kaiming, figures[:1])
    assert "### " not in single and f"caption of {names[0]}" in single


def _griffe_rst():
    spec = importlib.util.spec_from_file_location("griffe_rst", ROOT / "docs" / "griffe_rst.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_rst_docstrings_become_markdown() -> None:
    to_markdown = _griffe_rst().to_markdown
    text = "Gain :math:`\\sqrt{2}` of :func:`~initref.gains.gain` and :class:`initref.Activation`.\n"
    assert to_markdown(text) == "Gain $\\sqrt{2}$ of `gain` and `initref.Activation`."
    block = "Before\n\n.. math:: g = \\frac{1}{\\sqrt{E[f(z)^2]}},\n   \\qquad z \\sim N(0, 1)\n\nAfter"
    assert "$$\ng = \\frac{1}{\\sqrt{E[f(z)^2]}},\n\\qquad z \\sim N(0, 1)\n$$" in to_markdown(block)
    table = "===== =====\nname  gain\n===== =====\nrelu  2\ntanh  5/3\n===== =====\n"
    assert "| name | gain |\n| --- | --- |\n| relu | 2 |\n| tanh | 5/3 |" in to_markdown(table)


# ------------------------------------------------------------------------------ the built site


@pytest.mark.slow
def test_build_has_every_generated_page(site: Path) -> None:
    for derivation in DERIVATIONS:
        html = (site / "theory" / derivation.slug / "index.html").read_text()
        assert derivation.slug in html
    gallery = (site / "gallery" / "index.html").read_text()
    for name, spec in FIGURES.items():
        assert (site / "figures" / f"{name}.png").stat().st_size > 10_000, name
        assert f"../../figures/{name}.png" in (site / "theory" / spec.page / "index.html").read_text(), name
        assert f"../figures/{name}.png" in gallery, name
    from initref.activations import registered

    gains = (site / "gains" / "index.html").read_text()
    for name in registered():
        assert f"<code>{name}</code>" in gains, name
    for page in ("index.html", "gallery/index.html", "reference/index.html", "guides/choosing/index.html",
                 "guides/custom-activation/index.html", "guides/debugging/index.html",
                 "theory/identity-dirac/index.html", "theory/sparse/index.html", "theory/mean-field/index.html"):
        assert (site / page).is_file(), page
    for page in sorted((site / "theory").rglob("index.html")):  # every hand-written topic has its derivation
        assert "Not yet machine-checked" not in page.read_text(), page
    from derivations.activations import BY_NAME

    for name in registered():  # parameters are shown at their defaults
        parameter = BY_NAME[name].parameter
        if parameter is not None:
            assert f"<code>{name}</code> (<span class=\"arithmatex\">" in gains, name
    assert (site / "assets" / "katex" / "katex.min.js").is_file()
    assert list((site / "assets" / "katex" / "fonts").glob("KaTeX_Main-Regular.woff2"))


@pytest.mark.slow
def test_the_hugging_face_guide_shows_the_generated_reports_and_verdicts(site: Path) -> None:
    """docs/gen_pages.py runs the guide's code at build time; its tables and verdicts are in the page."""
    pytest.importorskip("transformers")
    pytest.importorskip("timm")
    html = (site / "guides" / "huggingface-timm" / "index.html").read_text()
    assert "<!-- generated:" not in html and "Not generated" not in html
    for parameter in ("transformer.h.0.attn.c_attn.weight", "transformer.wpe.weight", "blocks.1.attn.proj.weight"):
        assert f"<td><code>{parameter}</code></td>" in html, parameter  # a row of a report table
    assert "<code>normal_(std=0.02/sqrt(2*2))</code>" in html  # GPT-2's residual projections at n_layer = 2
    assert html.count("<strong>checklist verdict: ok</strong>") == 2  # GPT-2 and the ViT after apply_init
    fault = html.partition('id="a-fault-caught"')[2].partition('id="a-vision-transformer-from-timm"')[0]
    assert re.search(r"<strong>checklist verdict: [1-9]\d* errors?</strong>", fault)  # the planted fault, named:
    assert re.search(r"<code>transformer\.h\.0\.attn\.c_attn\.weight</code></td>\s*<td>std_too_large", fault)
    assert 'href="../huggingface-timm/"' in (site / "guides" / "debugging" / "index.html").read_text()  # in the nav


@pytest.mark.slow
def test_built_site_loads_nothing_from_another_host(site: Path) -> None:
    offending: list[str] = []
    html_files = sorted(site.rglob("*.html"))
    assert len(html_files) > len(DERIVATIONS)
    for path in html_files:
        collector = UrlCollector()
        collector.feed(path.read_text(errors="replace"))
        for tag, attribute, url in collector.urls:
            if is_local(url):
                continue
            host = urlsplit(url).hostname or ""
            if tag == "a" and attribute == "href" and host.removeprefix("www.") in PAPER_HOSTS:
                continue  # a navigation link to a paper: followed only if the reader clicks it
            offending.append(f"{path.relative_to(site)}: <{tag} {attribute}={url!r}>")
        for kind, text in collector.inline:
            urls = css_urls(text) if kind == "style" else js_external_urls(path.name, text)
            offending += [f"{path.relative_to(site)}: inline {kind} {u!r}" for u in urls if not is_local(u)]
    for path in sorted(site.rglob("*.css")):
        offending += [f"{path.relative_to(site)}: {u!r}" for u in css_urls(path.read_text(errors="replace"))
                      if not is_local(u)]
    for path in sorted(site.rglob("*.js")):
        offending += [f"{path.relative_to(site)}: {u!r}" for u in js_external_urls(path.name, path.read_text(
            errors="replace"))]
    assert not offending, "\n".join(offending[:50])


def test_url_checks_catch_external_resources() -> None:
    collector = UrlCollector()
    collector.feed('<link rel="stylesheet" href="https://fonts.googleapis.com/css?family=Roboto">'
                   '<script src="//cdn.jsdelivr.net/npm/katex"></script><img srcset="a.png 1x, http://x.org/b.png 2x">'
                   '<a href="../theory/">t</a><div style="background: url(https://x.org/i.png)"></div>')
    external = [u for _, _, u in collector.urls if not is_local(u)]
    assert external == ["https://fonts.googleapis.com/css?family=Roboto", "//cdn.jsdelivr.net/npm/katex",
                        "http://x.org/b.png"]
    assert css_urls(collector.inline[0][1]) == ["https://x.org/i.png"]
    assert sorted(css_urls("@import 'https://fonts.googleapis.com/x'; a{b:url(fonts/k.woff2)}")) == [
        "fonts/k.woff2", "https://fonts.googleapis.com/x"]
    assert js_external_urls("app.js", 'fetch("https://example.com/x"); load("/local.js")') == [
        "https://example.com/x"]
    assert js_external_urls("bundle.ab12.min.js", '"https://unpkg.com/mermaid@11/dist/mermaid.min.js"') == []
    assert js_external_urls("other.js", '"https://unpkg.com/mermaid@11/dist/mermaid.min.js"') != []
