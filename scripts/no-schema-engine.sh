#!/bin/sh
# Stands in for Prisma's native schema engine, which cannot be downloaded here; generate/validate/format do not need it.
exit 1
