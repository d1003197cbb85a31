"""Scripts that maintain the book (run from make): its build configuration and the
notebooks' Colab setup cells. Not part of the teaching package utils."""
