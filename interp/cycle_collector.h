// The cycle collector: frees the container objects that only reference cycles keep alive.
#pragma once

#include <cstdint>
#include <vector>

#include "interp/object.h"
#include "interp/value.h"

namespace gyro {

// The container objects one interpreter made, and the collector that frees those no one else
// can reach. Reference counting frees everything else; a cycle (a list holding itself, an
// instance whose method closes over it, a class whose methods use super()) keeps its counts
// above zero forever, so an interpreter collects every `threshold()` container allocations.
//
// The collection is CPython's: each tracked object's count minus the references other tracked
// objects hold leaves the references from outside (frames, host values, untracked objects);
// what those reach survives, the rest is garbage. Garbage is emptied (its references dropped),
// so the cycles fall apart and reference counting frees them. A reference the walk does not
// see only makes an object look reachable: missing one leaks, it never frees a live object.
//
// Objects of one heap are linked and unlinked by the thread holding its interpreter's host
// lock (whoever drops a container the interpreter made holds that lock, as with CPython's
// GIL); a heap destroyed first leaves its surviving objects untracked.
class CycleHeap {
 public:
  CycleHeap();
  ~CycleHeap();
  CycleHeap(const CycleHeap&) = delete;
  CycleHeap& operator=(const CycleHeap&) = delete;

  // The heap that containers made on this thread join (null: they are not tracked). An
  // interpreter's host lock makes its heap current while held.
  static CycleHeap* current();
  class MakeCurrent {
   public:
    explicit MakeCurrent(CycleHeap* heap);
    ~MakeCurrent();
    MakeCurrent(const MakeCurrent&) = delete;
    MakeCurrent& operator=(const MakeCurrent&) = delete;

   private:
    CycleHeap* previous_;
  };

  // Frees every tracked object that nothing outside the heap's cycles reaches; returns how many
  // were garbage. Call only where every live object is held by a counted reference (between
  // VM instructions, or from the host).
  int64_t collect();
  // True once enough containers were made since the last collection to run another.
  bool wants_collection() const { return allocations_ >= threshold_; }
  int64_t tracked() const { return tracked_; }
  int64_t collections() const { return collections_; }
  // An interpreter's last act: empties the lists, dicts, cells and compiled functions that
  // `roots` (its modules) reach, tracked or not, as CPython clears its modules at exit, so
  // that what a host still holds does not keep their cycles alive.
  static void empty_reachable(std::vector<Value> roots);
  // Unlinks every object still tracked (they stay alive, untracked): for a heap's last moments.
  void untrack_all();

 private:
  friend class ContainerObject;
  void link(ContainerObject* object);
  void unlink(ContainerObject* object);

  ContainerObject* newest_ = nullptr;  // the tracked objects, linked newest first
  int64_t tracked_ = 0;
  int64_t allocations_ = 0;  // containers made since the last collection
  int64_t threshold_;
  int64_t collections_ = 0;
};

}  // namespace gyro
