# Dockyard: `make demo` sets up a fresh Debian 12 machine (as root) and shows the engine
# working; `make test` runs the whole suite. Both are idempotent.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
SOCK := /run/dockyard.sock
PIDFILE := /run/dockyard.pid
LOG := /var/log/dockyard.log
DEMO_PORT ?= 18080
APT_PACKAGES := runc busybox-static nftables iproute2 tini curl ca-certificates
export DOCKER_HOST := unix://$(SOCK)

.PHONY: demo test check stop stop-all start deps venv

deps:
	@missing=""; for p in $(APT_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	fi

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	touch $@

venv: $(VENV)/.installed

start: deps venv
	@ln -sf $(CURDIR)/$(BIN)/dockyard /usr/local/bin/dockyard
	@ln -sf $(CURDIR)/$(BIN)/dockyardd /usr/local/bin/dockyardd
	@if [ -S $(SOCK) ] && curl -sf --unix-socket $(SOCK) http://d/_ping >/dev/null; then \
	  echo "dockyardd already running on unix://$(SOCK)"; \
	else \
	  echo "starting dockyardd (log: $(LOG))"; \
	  setsid $(BIN)/dockyardd --pidfile $(PIDFILE) >>$(LOG) 2>&1 < /dev/null & \
	  for i in $$(seq 100); do curl -sf --unix-socket $(SOCK) http://d/_ping >/dev/null && break; sleep 0.1; done; \
	  curl -sf --unix-socket $(SOCK) http://d/_ping >/dev/null || { echo "dockyardd did not start; see $(LOG)"; tail -20 $(LOG); exit 1; }; \
	fi

demo: start
	@$(BIN)/dockyard image inspect busybox:latest >/dev/null 2>&1 || { \
	  echo "creating busybox:latest from Debian's busybox-static"; \
	  $(BIN)/python scripts/busybox-rootfs | $(BIN)/dockyard import -c 'CMD ["sh"]' -m "busybox-static from Debian" - busybox:latest; }
	@echo; echo "== dockyard version"; $(BIN)/dockyard version
	@echo; echo "== dockyard images"; $(BIN)/dockyard images
	@echo; echo "== the docker CLI against dockyardd (DOCKER_HOST=$(DOCKER_HOST))"
	@if command -v docker >/dev/null; then docker images; docker history busybox; fi
	@echo; echo "== save and load round trip"
	@$(BIN)/dockyard save -o /tmp/dockyard-demo-busybox.tar busybox:latest
	@$(BIN)/dockyard load -i /tmp/dockyard-demo-busybox.tar
	@rm -f /tmp/dockyard-demo-busybox.tar
	@echo; echo "== a container: dockyard run --rm busybox ..."
	@$(BIN)/dockyard run --rm busybox sh -c 'echo "hello from a container: $$(hostname), $$(id -un), kernel $$(uname -r)"'
	@echo; echo "== a published web server: run -d -p 127.0.0.1:$(DEMO_PORT):80 busybox httpd"
	@$(BIN)/dockyard rm -f demo-web >/dev/null 2>&1 || true
	@$(BIN)/dockyard run -d --name demo-web -p 127.0.0.1:$(DEMO_PORT):80 busybox httpd -f -p 80 -h /var/www
	@for i in $$(seq 50); do curl -sf http://127.0.0.1:$(DEMO_PORT)/ >/dev/null && break; sleep 0.1; done
	@echo "curl http://127.0.0.1:$(DEMO_PORT)/ -> $$(curl -s http://127.0.0.1:$(DEMO_PORT)/)"
	@$(BIN)/dockyard ps
	@echo; echo "dockyardd is running: export DOCKER_HOST=$(DOCKER_HOST); 'make stop' stops it."

stop:
	@if [ -f $(PIDFILE) ]; then \
	  pid=$$(cat $(PIDFILE)); kill $$pid 2>/dev/null || true; \
	  for i in $$(seq 100); do kill -0 $$pid 2>/dev/null || break; sleep 0.1; done; \
	  echo "dockyardd stopped"; \
	else echo "dockyardd is not running"; fi

# Containers outlive `make stop` by design (the monitor holds them); this ends everything.
stop-all:
	@if [ -S $(SOCK) ] && curl -sf --unix-socket $(SOCK) http://d/_ping >/dev/null; then \
	  ids=$$($(BIN)/dockyard ps -aq); [ -z "$$ids" ] || $(BIN)/dockyard rm -f $$ids >/dev/null; \
	fi
	@$(MAKE) --no-print-directory stop
	@if [ -f /run/dockyard/monitor.pid ]; then kill $$(cat /run/dockyard/monitor.pid) 2>/dev/null || true; fi
	@echo "containers removed, dockyardd and its monitor stopped"

check: venv
	scripts/check

test: deps venv
	$(BIN)/pytest -ra -p no:cacheprovider tests
