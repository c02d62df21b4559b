// Typeset TeX with MathJax 3 (npm's mathjax-full, pinned in package.json) in
// Node, so that no browser has to. Used by book/_ext/prerender_maths.py (the
// site, SVG output) and tools/build_pdf.py (the PDF, CHTML output, whose
// web-font glyphs stay text in the PDF).
//
// Reads JSON on stdin:
//   {"output": "svg" | "chtml", "macros": {...}, "fontURL": "..." (chtml),
//    "pages": [[{"tex": "...", "display": true|false}, ...], ...]}
// and writes JSON on stdout:
//   {"stylesheet": CSS (svg: the same for every page),
//    "pages": [{"maths": [HTML, ...], "glyphs": HTML (svg: the page's glyph
//               definitions, one hidden <svg>), "css": CSS (chtml)}, ...]}
//
// Each formula becomes what MathJax would put in the page: an <mjx-container>
// with the visual output (aria-hidden) and the formula as MathML for screen
// readers (MathJax's assistive-mml), whose <semantics> also carry the TeX
// source as <annotation encoding="application/x-tex">, as KaTeX does.
// A TeX error (an undefined macro, unbalanced braces) stops with a message.

'use strict';

const fs = require('fs');
const {mathjax} = require('mathjax-full/js/mathjax.js');
const {TeX} = require('mathjax-full/js/input/tex.js');
const {liteAdaptor} = require('mathjax-full/js/adaptors/liteAdaptor.js');
const {RegisterHTMLHandler} = require('mathjax-full/js/handlers/html.js');
const {AssistiveMmlHandler} = require('mathjax-full/js/a11y/assistive-mml.js');
// the TeX packages the book uses; an unknown macro is an error, not red text
require('mathjax-full/js/input/tex/base/BaseConfiguration.js');
require('mathjax-full/js/input/tex/ams/AmsConfiguration.js');
require('mathjax-full/js/input/tex/newcommand/NewcommandConfiguration.js');
require('mathjax-full/js/input/tex/configmacros/ConfigMacrosConfiguration.js');
require('mathjax-full/js/input/tex/boldsymbol/BoldsymbolConfiguration.js');

const PACKAGES = ['base', 'ams', 'newcommand', 'configmacros', 'boldsymbol'];
const GLYPHS_ID = 'MJX-SVG-global-cache';

const adaptor = liteAdaptor();
AssistiveMmlHandler(RegisterHTMLHandler(adaptor));

function newDocument(request) {
  const tex = new TeX({
    packages: PACKAGES,
    macros: request.macros || {},
    formatError: (jax, error) => { throw error; },
  });
  // Load only the output jax asked for: the SVG and CHTML fonts add their own
  // data to the same shared character tables, and with both loaded, SVG draws
  // the CSS escapes of CHTML's composite glyphs as text (f'' showed "\2032\2032").
  let output;
  if (request.output === 'chtml') {
    const {CHTML} = require('mathjax-full/js/output/chtml.js');
    output = new CHTML({fontURL: request.fontURL, matchFontHeight: false});
  } else {
    const {SVG} = require('mathjax-full/js/output/svg.js');
    output = new SVG({fontCache: 'global'});
  }
  return {output, document: mathjax.document('', {InputJax: tex, OutputJax: output})};
}

// <math>...</math> -> <math><semantics><mrow>...</mrow><annotation>TeX</annotation></semantics></math>
function annotate(container, tex) {
  const math = adaptor.tags(container, 'math')[0];
  const content = adaptor.node('mrow', {}, [...adaptor.childNodes(math)]);
  const source = adaptor.node('annotation', {encoding: 'application/x-tex'}, [adaptor.text(tex)]);
  adaptor.append(math, adaptor.node('semantics', {}, [content, source]));
}

function renderPage(request, maths, index) {
  const {output, document} = newDocument(request);
  const html = maths.map(({tex, display}, number) => {
    let container;
    try {
      container = document.convert(tex, {display});
    } catch (error) {
      throw new Error(`page ${index}, formula ${number + 1}: ${error.message}\n  TeX: ${tex}`);
    }
    annotate(container, tex);
    // a wide display formula scrolls inside its box (book/_static/reader.css);
    // keyboard users reach it with Tab (MathJax in the browser made every
    // formula focusable for its menu)
    if (display) adaptor.setAttribute(container, 'tabindex', '0');
    return adaptor.outerHTML(container);
  });
  const page = {maths: html};
  if (request.output === 'chtml') {
    // MathJax in a browser scales its fonts to the x-height of the text
    // around (matchFontHeight); CSS does the same: in font-size, 1ex is the
    // parent's x-height, 0.442 that of MathJax's TeX font (1em). (SVG output
    // is sized in ex already.)
    page.css = adaptor.textContent(output.styleSheet(document))
      + '\nmjx-container[jax="CHTML"] { font-size: calc(1ex / 0.442); }\n';
  } else if (maths.length) {
    const glyphs = output.svg('svg', {id: GLYPHS_ID, style: {display: 'none'}},
                              [output.fontCache.getCache()]);
    page.glyphs = adaptor.outerHTML(glyphs);
  }
  return page;
}

function main() {
  const request = JSON.parse(fs.readFileSync(0, 'utf8'));
  const pages = request.pages.map((maths, index) => renderPage(request, maths, index));
  const {output, document} = newDocument(request);
  const stylesheet = adaptor.textContent(output.styleSheet(document));
  process.stdout.write(JSON.stringify({stylesheet, pages}));
}

try {
  main();
} catch (error) {
  process.stderr.write(`prerender_maths: ${error.message}\n`);
  process.exit(1);
}
