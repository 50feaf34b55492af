"""Release tooling for the six tempyral distributions: plan, version, build and check, verify.

Run it as ``python tools/release <command>`` in the ``build`` environment of hatch.toml
(``hatch run build:plan``, ``hatch run build:all``, ``hatch run build:verify``), which has
python-semantic-release, build, twine and sigstore. docs/release-runbook.md tells how a release
goes; this package is what the runbook and the release workflow call.

* ``config`` renders each package's ``[tool.semantic_release]`` block from one template
  (``semantic_release.toml``) and refuses a block that drifted from it.
* ``workspace`` reads the six packages (names, versions, sibling ranges) and orders them by layer.
* ``plan`` asks python-semantic-release, package by package, which version comes next, then adds
  what the tool cannot do: a package is released again when a sibling it depends on is, with its
  range raised to the new version.
* ``versioning`` carries a plan out: the range commits, then ``semantic-release version`` for
  each package.
* ``dist`` builds every wheel and sdist, checks metadata and sibling ranges, and smoke-tests the
  wheels in clean virtual environments.
* ``verify`` checks a downloaded artifact against its sigstore bundle and the release workflow's
  identity.
"""
