"""The exporter and reporter images: built here with podman from the same Dockerfiles and the same
Debian base that GitHub's workflows build with buildx (see README.md, "Images")."""
