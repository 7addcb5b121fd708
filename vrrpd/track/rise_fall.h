#pragma once
// keepalived's rise/fall debouncing of a check's results: `fall` failures in a
// row make a good check bad, `rise` successes in a row make a bad one good.

namespace tandem::vrrpd::track {

class RiseFall {
 public:
  RiseFall(int rise, int fall, bool start_ok) : rise_(rise), fall_(fall), ok_(start_ok) {}
  // Records one result; true when the verdict changed.
  bool record(bool success) {
    if (success == ok_) {
      streak_ = 0;
      return false;
    }
    if (++streak_ < (ok_ ? fall_ : rise_)) return false;
    ok_ = success;
    streak_ = 0;
    return true;
  }
  bool ok() const { return ok_; }

 private:
  int rise_;
  int fall_;
  bool ok_;
  int streak_ = 0;  // results in a row that disagree with the verdict
};

}  // namespace tandem::vrrpd::track
