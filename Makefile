# The two commands: `make run` (set up and serve the demo) and `make test` (the whole suite).
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1:8000
PG_URL ?= postgres://postgres@127.0.0.1:5432/test
TEST_REDIS_URL ?= redis://127.0.0.1:6379/15
SHARED ?= ../shared

.PHONY: run serve backup-drill loadtest faultdrill test install bench test-sqlite test-postgres lint checks contract services browser clean

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e ".[dev]"
	touch $@

run: install
	$(PY) manage.py migrate --noinput
	$(PY) manage.py load_demo --address $(HOST)
	$(PY) manage.py runserver $(HOST)

# Production serving (docs/operations.md): refuses to start without SECRET_KEY, DJANGO_ALLOWED_HOSTS and
# DATABASE_URL; migrates, collects the static files (hashed names), then gunicorn with workers from the cores
# on BIND (default $(HOST)). DEMO=1 loads the worked example county into an empty database first.
PROD := DJANGO_SETTINGS_MODULE=config.settings.production
serve: install
	@$(PY) -m config.preflight
	$(PROD) $(PY) manage.py migrate --noinput
	$(PROD) $(PY) manage.py collectstatic --noinput -v 0
	@if [ "$(DEMO)" = 1 ]; then $(PROD) $(PY) manage.py load_demo --address $${BIND:-$(HOST)}; fi
	exec env $(PROD) BIND=$${BIND:-$(HOST)} $(VENV)/bin/gunicorn -c deploy/gunicorn.conf.py

# Back up, restore into a fresh database, compare every table, trace and evidence file (drills/backup_drill.py):
# the demo county and a generated county of DRILL_SIZE enterprises, in DRILL_DB_PREFIX_* databases on PG_URL's server.
backup-drill: install services
	DATABASE_URL=$(PG_URL) SHARED=$(SHARED) $(PY) drills/backup_drill.py

# The province under LOAD_USERS users for LOAD_MINUTES on the production stack with its own PostgreSQL (5438) and
# Redis (6388) while the reminder sweep runs (drills/loadtest.py); LOAD_SIZE enterprises (the issue's 50,000 by
# default; smaller for a quick run). Prints per request type count, failures, median, p95 and p95 ÷ alone.
loadtest: install
	LOAD_SIZE=$${LOAD_SIZE:-50000} LOAD_USERS=$${LOAD_USERS:-50} LOAD_MINUTES=$${LOAD_MINUTES:-10} $(PY) drills/loadtest.py

# Faults under that load (drills/faultdrill.py): PostgreSQL restarted, Redis stopped a minute, a gunicorn and a
# Celery worker SIGKILLed, the evidence disk (a tmpfs) full; what users saw, time to ready, nothing torn/lost/doubled.
faultdrill: install
	LOAD_SIZE=$${LOAD_SIZE:-50000} LOAD_USERS=$${LOAD_USERS:-50} $(PY) drills/faultdrill.py

# Lint, Django checks, then the suite on SQLite and on PostgreSQL (both with the real Redis), then the CLI contract.
test: install services browser lint checks test-sqlite test-postgres contract

lint:
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

checks:
	$(PY) manage.py check
	$(PY) manage.py makemigrations --check --dry-run
	$(PY) manage.py spectacular --validate --fail-on-warn --file $${TMPDIR:-/tmp}/dutychain-schema.yml
	DJANGO_SETTINGS_MODULE=config.settings.production SECRET_KEY=$$(head -c 48 /dev/urandom | base64 | tr -d '\n') \
		DJANGO_ALLOWED_HOSTS=example.org $(PY) manage.py check --deploy --fail-level WARNING

# Each pass runs in parallel workers (pytest-xdist, TEST_WORKERS; a database per worker). The PostgreSQL pass
# names its databases after this run (test_dutychain_<time>_<pid>_gwN), so two runs on one server never
# collide, and drops them afterwards whatever the outcome.
TEST_WORKERS ?= $(shell echo $$(( $$(nproc) + 1 )))
PYTEST := $(VENV)/bin/pytest -p no:cacheprovider -n $(TEST_WORKERS) --dist worksteal

test-sqlite:
	DATABASE_URL= REDIS_URL=$(TEST_REDIS_URL) $(PYTEST)

test-postgres:
	@run=test_dutychain_$$(date +%s)_$$$$; status=0; \
	DATABASE_URL=$(PG_URL) REDIS_URL=$(TEST_REDIS_URL) TEST_DB_NAME=$$run $(PYTEST) || status=$$?; \
	$(PY) tests/drop_run_databases.py $(PG_URL) $$run; exit $$status

# The shared contract on the three worked examples; a missing ../shared fails loudly (no copy to fall back on).
contract:
	@test -f $(SHARED)/tools/check_contract.py || { echo "contract: $(SHARED)/tools/check_contract.py is missing" >&2; exit 1; }
	PROJECT_PY=$(PY) $(PY) $(SHARED)/tools/check_contract.py . $(SHARED)/examples/demo_county.json
	PROJECT_PY=$(PY) $(PY) $(SHARED)/tools/check_contract.py . $(SHARED)/examples/old_house.json
	PROJECT_PY=$(PY) $(PY) $(SHARED)/tools/check_contract.py . $(SHARED)/examples/old_house_raised.json

# The benchmark (never part of `make test`; bench/README.md): a synthetic province at 1k and BENCH_SIZE enterprises
# (default 50000, the issue's province: about 7 minutes on this 2-core machine, more when it is busy) in bench_h3_* databases on $(PG_URL)'s server (that database itself is never
# touched), figures measured interleaved, one `bench: NAME VALUE (target OP TARGET) ok|MISS` line each; exit 1 on a MISS.
bench: install services
	DATABASE_URL=$(PG_URL) BENCH_SIZE=$${BENCH_SIZE:-50000} $(PY) bench/run.py

# The local PostgreSQL and Redis the suite talks to; start them if the machine has them stopped.
services:
	@pg_isready -q -h 127.0.0.1 -p 5432 || pg_ctlcluster --skip-systemctl-redirect $$(ls /etc/postgresql) main start
	@redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1 || redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no
	@for i in $$(seq 1 30); do pg_isready -q -h 127.0.0.1 -p 5432 && redis-cli ping >/dev/null 2>&1 && exit 0; sleep 1; done; \
		echo "PostgreSQL or Redis did not come up" >&2; exit 1

# Debian's Chromium and CJK fonts for the browser tests (no browser download from the test tool).
browser:
	@test -x /usr/bin/chromium && fc-list 2>/dev/null | grep -qi "Noto Sans CJK" || \
		(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk >/dev/null)

clean:
	rm -rf $(VENV) db.sqlite3 artifacts
