// A running summary of observations, as go-metrics' AggregateSample: count, sum, sum of squares
// (for the standard deviation), min and max. Constant memory whatever the number of samples.

export class Aggregate {
  count = 0;
  sum = 0;
  sumSq = 0;
  min = Infinity;
  max = -Infinity;

  ingest(v: number): void {
    this.count++;
    this.sum += v;
    this.sumSq += v * v;
    if (v < this.min) this.min = v;
    if (v > this.max) this.max = v;
  }

  mean(): number {
    return this.count === 0 ? 0 : this.sum / this.count;
  }

  /** Sample standard deviation (n - 1), 0 for fewer than two observations. */
  stddev(): number {
    const div = this.count * (this.count - 1);
    if (div === 0) return 0;
    const num = this.count * this.sumSq - this.sum * this.sum;
    return num <= 0 ? 0 : Math.sqrt(num / div);
  }
}
