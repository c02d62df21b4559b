"""The book's build and check tooling. Run a command as ``python -m tools.NAME``.

Commands: build_pdf (the book as one PDF), notebooks (the Colab notebooks),
labels_manifest (book/labels.json), invalidate_stale_cache (before a build),
release (prepare an edition, check its tag, build its assets), package
(vjpgrad's sdist and wheel), site_figures (build times, page weights),
chromium (which browser is used).
Libraries: config (_config.yml and _toc.yml), myst (reading MyST Markdown),
package (vjpgrad's version, sources and releases), chromium (find, launch and
serve for the system Chromium), site_visit (load one page of the built site
and record what happened).
"""
