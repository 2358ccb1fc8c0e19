# Peyvand: the two commands a fresh machine needs are `make demo` and `make test`.
PYTHON ?= python3
PORT ?= 8000
UV := .tools/bin/uv
UV_VERSION := 0.13.8
PYTEST_ARGS ?=

.PHONY: install demo serve worker test lint browser imap assets

$(UV):
	$(PYTHON) -m venv .tools
	.tools/bin/pip install --quiet uv==$(UV_VERSION)

# Install the locked dependencies into .venv/ (and the `peyvand` command).
install: $(UV)
	$(UV) sync --frozen --all-extras --quiet

# Run the product on SQLite under var/ with Persian demo data and an in-process worker.
demo: install
	.venv/bin/peyvand demo --port $(PORT)

serve: install
	.venv/bin/peyvand serve --port $(PORT)

worker: install
	.venv/bin/peyvand worker

# Debian's Chromium for the browser tests (Playwright cannot download its own here).
browser:
	scripts/ensure_debian_package.sh /usr/bin/chromium chromium

# Debian's Dovecot for the IMAP tests (they start their own instance on a free port).
imap:
	scripts/ensure_debian_package.sh /usr/sbin/dovecot dovecot-imapd

# The whole test suite (SQLite by default; set DATABASE_URL for PostgreSQL).
test: install browser imap
	.venv/bin/pytest $(PYTEST_ARGS)

lint: install
	.venv/bin/ruff check .
	.venv/bin/ruff format --check .
	.venv/bin/mypy peyvand
	PEYVAND_VAR_DIR=$$(mktemp -d) .venv/bin/peyvand makemigrations --check --dry-run

# Refresh the front-end files under peyvand/web/static/vendor/ from the npm registry.
assets:
	scripts/vendor_assets.sh
