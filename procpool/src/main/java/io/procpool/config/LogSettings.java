package io.procpool.config;

/**
 * Size-based rotation of an instance's captured output.
 *
 * @param maxSize the size in bytes past which the live log file is rotated
 * @param keep how many rotated files ({@code .1} .. {@code .keep}) are kept; 0 keeps none
 */
public record LogSettings(long maxSize, int keep) {
}
