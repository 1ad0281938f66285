# mk/install.mk - make install, make deb, and their tests (included by the
# Makefile; docs/install.md).
#
#   make install [PREFIX=/usr/local] [DESTDIR=...]   the command, the
#                   library (shared, static, header, pkg-config), man pages,
#                   bash and zsh completion, the Python binding and, when
#                   it was built, the nginx module where Debian's nginx looks
#   make uninstall  the same files removed
#   make deb        Debian packages in build/deb/: moat, libmoat0,
#                   libmoat-dev, libnginx-mod-http-moat, python3-moat
#   make man        build/man/man1/*.1 and build/completion/ alone

PREFIX      ?= /usr/local
DESTDIR     ?=
BINDIR      ?= $(PREFIX)/bin
LIBDIR      ?= $(PREFIX)/lib
INCLUDEDIR  ?= $(PREFIX)/include
MANDIR      ?= $(PREFIX)/share/man
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions
# Debian's zsh reads /usr/local/share/zsh/site-functions and, for packages,
# /usr/share/zsh/vendor-completions (debian/rules sets that).
ZSHCOMPDIR  ?= $(PREFIX)/share/zsh/site-functions
# Where Debian's python3 looks: /usr/local/lib/python3.X/dist-packages for
# a local install, /usr/lib/python3/dist-packages for packages.
SYSTEM_PYTHON ?= /usr/bin/python3
PYTHON_X    := $(shell $(SYSTEM_PYTHON) -c 'import sys; print("%d.%d" % sys.version_info[:2])' 2>/dev/null)
PYTHONDIR   ?= $(if $(filter /usr,$(PREFIX)),/usr/lib/python3,$(PREFIX)/lib/python$(PYTHON_X))/dist-packages
# Where Debian's nginx keeps dynamic modules and their load_module
# snippets (as its own libnginx-mod-* packages do): whatever the PREFIX,
# nginx only looks there.
NGINX_MODDIR  ?= /usr/lib/nginx/modules
NGINX_CONFDIR ?= /usr/share/nginx/modules-available

# One version, the header's; the shared object's number is MOAT_ABI.
VERSION := $(shell sed -n 's/^\#define MOAT_VERSION "\(.*\)"/\1/p' include/moat.h)
ABI     := $(shell sed -n 's/^\#define MOAT_ABI \([0-9][0-9]*\)$$/\1/p' include/moat.h)
SONAME  := libmoat.so.$(ABI)

.PHONY: install uninstall man deb install-test deb-test deb-install-test \
        python-test

# ---- generated from the help text ----------------------------------------
man: $(B)/man/.stamp

$(B)/man/.stamp: $(B)/moat scripts/gen-help-files.py
	@mkdir -p $(B)/man/man1 $(B)/completion
	$(call say,GEN,$(B)/man/man1 $(B)/completion)
	$(Q)rm -f $(B)/man/man1/*.1
	$(Q)$(PYTHON) scripts/gen-help-files.py --moat $(B)/moat \
	    --man $(B)/man/man1 --bash $(B)/completion/moat \
	    --zsh $(B)/completion/_moat
	@touch $@

$(B)/moat.pc: mk/moat.pc.in include/moat.h mk/install.mk
	$(call say,GEN,$@)
	$(Q)sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@LIBDIR@|$(LIBDIR)|' \
	    -e 's|@INCLUDEDIR@|$(INCLUDEDIR)|' -e 's|@VERSION@|$(VERSION)|' \
	    $< > $@.tmp && mv $@.tmp $@

# The load_module line Debian's module packages ship: relative to nginx's
# prefix (/usr/share/nginx, whose modules/ is /usr/lib/nginx/modules) when
# the module goes where Debian's go, the full path otherwise.
$(B)/mod-http-moat.conf: mk/install.mk
	@mkdir -p $(@D)
	$(call say,GEN,$@)
	$(Q)if [ "$(NGINX_MODDIR)" = /usr/lib/nginx/modules ]; then \
	    echo "load_module modules/ngx_http_moat_module.so;"; \
	else echo "load_module $(NGINX_MODDIR)/ngx_http_moat_module.so;"; \
	fi > $@

# ---- install ----------------------------------------------------------------
INSTALL_DEPS := $(B)/moat $(B)/libmoat.so $(B)/libmoat.a $(B)/man/.stamp \
                $(B)/moat.pc $(B)/mod-http-moat.conf
ifneq ($(wildcard $(NGINX_SRC)/conf_flags),)
INSTALL_DEPS += $(B)/ngx_http_moat_module.so
endif

install: $(INSTALL_DEPS)
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(LIBDIR)/pkgconfig \
	    $(DESTDIR)$(INCLUDEDIR) $(DESTDIR)$(MANDIR)/man1 \
	    $(DESTDIR)$(BASHCOMPDIR) $(DESTDIR)$(ZSHCOMPDIR) \
	    $(DESTDIR)$(PYTHONDIR)/moat
	install -m 755 $(B)/moat $(DESTDIR)$(BINDIR)/moat
	install -m 644 $(B)/libmoat.so $(DESTDIR)$(LIBDIR)/libmoat.so.$(VERSION)
	ln -sf libmoat.so.$(VERSION) $(DESTDIR)$(LIBDIR)/$(SONAME)
	ln -sf $(SONAME) $(DESTDIR)$(LIBDIR)/libmoat.so
	install -m 644 $(B)/libmoat.a $(DESTDIR)$(LIBDIR)/libmoat.a
	install -m 644 include/moat.h $(DESTDIR)$(INCLUDEDIR)/moat.h
	install -m 644 $(B)/moat.pc $(DESTDIR)$(LIBDIR)/pkgconfig/moat.pc
	install -m 644 $(B)/man/man1/*.1 $(DESTDIR)$(MANDIR)/man1/
	install -m 644 $(B)/completion/moat $(DESTDIR)$(BASHCOMPDIR)/moat
	install -m 644 $(B)/completion/_moat $(DESTDIR)$(ZSHCOMPDIR)/_moat
	install -m 644 python/moat/*.py $(DESTDIR)$(PYTHONDIR)/moat/
	if [ -f $(B)/ngx_http_moat_module.so ]; then \
	    install -d $(DESTDIR)$(NGINX_MODDIR) $(DESTDIR)$(NGINX_CONFDIR) && \
	    install -m 644 $(B)/ngx_http_moat_module.so $(DESTDIR)$(NGINX_MODDIR)/ && \
	    install -m 644 $(B)/mod-http-moat.conf $(DESTDIR)$(NGINX_CONFDIR)/; \
	fi

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/moat $(DESTDIR)$(LIBDIR)/libmoat.so* \
	    $(DESTDIR)$(LIBDIR)/libmoat.a $(DESTDIR)$(INCLUDEDIR)/moat.h \
	    $(DESTDIR)$(LIBDIR)/pkgconfig/moat.pc \
	    $(DESTDIR)$(MANDIR)/man1/moat.1 $(DESTDIR)$(MANDIR)/man1/moat-*.1 \
	    $(DESTDIR)$(BASHCOMPDIR)/moat $(DESTDIR)$(ZSHCOMPDIR)/_moat \
	    $(DESTDIR)$(NGINX_MODDIR)/ngx_http_moat_module.so \
	    $(DESTDIR)$(NGINX_CONFDIR)/mod-http-moat.conf
	rm -rf $(DESTDIR)$(PYTHONDIR)/moat

# ---- Debian packages ----------------------------------------------------------
# Built with debhelper from a copy of the sources in build/deb/moat-VERSION
# (dpkg-buildpackage writes the packages next to the tree it builds).
DEB_DIR := $(B)/deb
DEB_SRC := $(DEB_DIR)/moat-$(VERSION)

deb:
	@v=$$(dpkg-parsechangelog -l debian/changelog -S Version); \
	case "$$v" in $(VERSION)) ;; \
	*) echo "deb: debian/changelog is at $$v, moat.h at $(VERSION)" >&2; \
	   exit 1 ;; esac
	rm -rf $(DEB_DIR) && mkdir -p $(DEB_SRC)
	tar -cf - --exclude=./build --exclude=./.git --exclude=./tests \
	    --exclude=./fuzz --exclude=./bench --exclude=node_modules \
	    --exclude=__pycache__ . | tar -xf - -C $(DEB_SRC)
	cd $(DEB_SRC) && DEB_BUILD_OPTIONS="parallel=2 $(DEB_BUILD_OPTIONS)" \
	    dpkg-buildpackage -b -us -uc --no-sign >../build.log 2>&1 || \
	    { tail -40 ../build.log >&2; exit 1; }
	@ls $(DEB_DIR)/*.deb

# ---- tests ----------------------------------------------------------------
# make install into a scratch root, then everything installed used as
# installed (tests/install/check-root.sh); the same for the Debian
# packages, installed by dpkg into a scratch root with a dpkg database of
# its own, after checks of their contents and lintian's (check-debs.sh).
MULTIARCH := $(shell dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null)
NO_MODULE := $(if $(wildcard $(NGINX_SRC)/conf_flags),,1)
test: install-test deb-test python-test

# What it installs is built by this make (the sub-make then finds it
# made), never by two makes at once: e2e-test uses the module too.
install-test: $(INSTALL_DEPS)
	rm -rf $(B)/test/root && mkdir -p $(B)/test
	$(MAKE) --no-print-directory install PREFIX=/usr/local \
	    DESTDIR=$(abspath $(B)/test/root) >$(B)/test/install.log 2>&1 || \
	    { tail -20 $(B)/test/install.log; exit 1; }
	ROOT=$(abspath $(B)/test/root) PREFIX=/usr/local LIBDIR=/usr/local/lib \
	    BASHCOMP=/usr/local/share/bash-completion/completions \
	    PYTHONDIR=/usr/local/lib/python$(PYTHON_X)/dist-packages \
	    ZSHCOMP=/usr/local/share/zsh/site-functions NO_MODULE=$(NO_MODULE) \
	    tests/install/check-root.sh

# The packages of the test are built without optimisation (noopt): what
# is checked is what they hold and how it installs, and it halves the time.
deb-test:
	$(MAKE) --no-print-directory deb DEB_BUILD_OPTIONS=noopt
	MULTIARCH=$(MULTIARCH) tests/install/check-debs.sh $(DEB_DIR)

# CI, as root: the packages installed on the system for real (apt-get,
# maintainer scripts and all: py3compile, the module enabled, nginx -t),
# then purged. Not in make test: it changes the system.
deb-install-test:
	$(MAKE) --no-print-directory deb DEB_BUILD_OPTIONS=noopt
	tests/install/deb-install.sh $(DEB_DIR)

# The Python binding (python/, docs/python.md) on the release libmoat.so:
# pytest from Debian's python3-pytest; the Checkov-style example runs on
# Checkov's fixtures from the shared materials.
python-test: $(B)/libmoat.so $(B)/moat
	PYTHONPATH=python PYTHONDONTWRITEBYTECODE=1 \
	    MOAT_LIBRARY=$(abspath $(B)/libmoat.so) MOAT=$(abspath $(B)/moat) \
	    SHARED=$(abspath $(SHARED)) \
	    $(SYSTEM_PYTHON) -m pytest -q -p no:cacheprovider python/tests
