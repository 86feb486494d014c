"""mlplat.policies: the governance pack (rules/, pack.py, presets.py, waivers.py, pack_folder.py, catalogue.py).

A project runs it from its own pack folder (`mlplat policy-pack init DIR`); this folder is also the reference
project's pack folder. It imports only mlplat.core and the SDKs.
"""

__all__: list[str] = []  # the API is the submodules; import them by name
