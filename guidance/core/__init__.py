"""The kit's core: errors, the name registry, where things are kept, the progress bar, data-set names.

Every other room may import this one; it imports nothing from the kit outside itself, and
neither torch nor numpy, so `guide --help` and config errors stay instant.
"""
