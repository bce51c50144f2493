// cut_btf: writes a small target BTF for the compat corpus's CO-RE programs, cut from the
// running kernel's BTF, so that the compat test resolves their relocations against this
// kernel's layouts on any machine.
//
//   bpfjit-compat-cut-btf VMLINUX_BTF OUT.btf OBJECT.o...
//
// For every struct or union that an object's BTF declares with the same name as a kernel
// one (the local declarations CO-RE programs make with preserve_access_index), the output
// holds the kernel's struct with its size and only the members the local one names, at
// their kernel offsets. Member types are copied as they are in the kernel, except that
// structs and unions reached from them are cut the same way (and emptied when no object
// declares them: CO-RE only follows the members a program names).
#include <bpf/btf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_LOCAL 256

static const struct btf *kernel;
static struct btf *out;
static int *copied;  // kernel type id -> output id (0: not yet)
static struct btf *locals[MAX_LOCAL];
static int nlocals;

// The local struct/union of that name and kind in any object, or NULL.
static const struct btf_type *local_decl(const char *name, int kind, const struct btf **in) {
  for (int i = 0; i < nlocals; i++) {
    int id = btf__find_by_name_kind(locals[i], name, kind);
    if (id > 0) {
      *in = locals[i];
      return btf__type_by_id(locals[i], id);
    }
  }
  return NULL;
}

static int local_names_member(const struct btf *in, const struct btf_type *t, const char *name) {
  const struct btf_member *m = btf_members(t);
  for (int i = 0; i < btf_vlen(t); i++) {
    const char *n = btf__name_by_offset(in, m[i].name_off);
    if (n && strcmp(n, name) == 0) return 1;
  }
  return 0;
}

static int copy(int id);

// Pointers to structs and unions are added pointing nowhere and aimed at the end, so that
// cycles (task_struct.real_parent) need no recursion: at the cut struct when one was made,
// else at a forward declaration.
struct fixup {
  int out_ptr;
  int kernel_target;
};
static struct fixup *fixups;
static int nfixups, capfixups;

static int copy_composite(int id, const struct btf_type *t) {
  const char *name = btf__name_by_offset(kernel, t->name_off);
  const int kind = btf_kind(t);
  const struct btf *in = NULL;
  const struct btf_type *local = name && *name ? local_decl(name, kind, &in) : NULL;
  const struct btf_member *m = btf_members(t);
  const int kflag = btf_kflag(t);
  const int vlen = btf_vlen(t);
  int *types = calloc((size_t)vlen + 1, sizeof(int));
  if (!types) return -ENOMEM;
  // The member types first: btf__add_field appends to the type added last.
  for (int i = 0; local && i < vlen; i++) {
    const char *mn = btf__name_by_offset(kernel, m[i].name_off);
    if (!mn || !*mn || !local_names_member(in, local, mn)) continue;
    types[i] = copy(m[i].type);
    if (types[i] < 0) {
      int err = types[i];
      free(types);
      return err;
    }
  }
  int nid = kind == BTF_KIND_STRUCT ? btf__add_struct(out, name, t->size)
                                    : btf__add_union(out, name, t->size);
  if (nid < 0) {
    free(types);
    return nid;
  }
  copied[id] = nid;
  for (int i = 0; local && i < vlen; i++) {
    if (types[i] == 0) continue;  // not named by the program (or void)
    const char *mn = btf__name_by_offset(kernel, m[i].name_off);
    unsigned bit_off = kflag ? BTF_MEMBER_BIT_OFFSET(m[i].offset) : m[i].offset;
    unsigned bit_size = kflag ? BTF_MEMBER_BITFIELD_SIZE(m[i].offset) : 0;
    int err = btf__add_field(out, mn, types[i], bit_off, bit_size);
    if (err) {
      free(types);
      return err;
    }
  }
  free(types);
  return nid;
}

// Copies kernel type `id` (and what it refers to) into the output; returns the output id.
static int copy(int id) {
  if (id == 0) return 0;
  if (copied[id]) return copied[id];
  const struct btf_type *t = btf__type_by_id(kernel, id);
  const char *name = btf__name_by_offset(kernel, t->name_off);
  int nid;
  switch (btf_kind(t)) {
    case BTF_KIND_INT: {
      unsigned enc = *(const unsigned *)(t + 1);
      nid = btf__add_int(out, name, t->size, BTF_INT_ENCODING(enc));
      break;
    }
    case BTF_KIND_PTR: {
      const struct btf_type *to = btf__type_by_id(kernel, t->type);
      if (btf_is_composite(to)) {
        nid = btf__add_ptr(out, 0);
        if (nid < 0) return nid;
        if (nfixups == capfixups) {
          capfixups = capfixups ? capfixups * 2 : 64;
          fixups = realloc(fixups, (size_t)capfixups * sizeof(*fixups));
          if (!fixups) return -ENOMEM;
        }
        fixups[nfixups++] = (struct fixup){nid, (int)t->type};
        break;
      }
      int to_id = copy(t->type);
      if (to_id < 0) return to_id;
      nid = btf__add_ptr(out, to_id);
      break;
    }
    case BTF_KIND_ARRAY: {
      const struct btf_array *a = btf_array(t);
      int elem = copy(a->type), index = copy(a->index_type);
      if (elem < 0 || index < 0) return elem < 0 ? elem : index;
      nid = btf__add_array(out, index, elem, a->nelems);
      break;
    }
    case BTF_KIND_STRUCT:
    case BTF_KIND_UNION:
      return copy_composite(id, t);
    case BTF_KIND_ENUM: {
      nid = btf__add_enum(out, name, t->size);
      if (nid < 0) return nid;
      const struct btf_enum *e = btf_enum(t);
      for (int i = 0; i < btf_vlen(t); i++) {
        int err = btf__add_enum_value(out, btf__name_by_offset(kernel, e[i].name_off), e[i].val);
        if (err) return err;
      }
      break;
    }
    case BTF_KIND_TYPEDEF:
    case BTF_KIND_VOLATILE:
    case BTF_KIND_CONST:
    case BTF_KIND_RESTRICT: {
      int to_id = copy(t->type);
      if (to_id < 0) return to_id;
      switch (btf_kind(t)) {
        case BTF_KIND_TYPEDEF: nid = btf__add_typedef(out, name, to_id); break;
        case BTF_KIND_VOLATILE: nid = btf__add_volatile(out, to_id); break;
        case BTF_KIND_CONST: nid = btf__add_const(out, to_id); break;
        default: nid = btf__add_restrict(out, to_id); break;
      }
      break;
    }
    default:
      // Functions, enum64, floats and the rest: an opaque int of the right size will do for
      // layouts (none of them is a member a program reads through CO-RE here).
      nid = btf__add_int(out, "cut_opaque", 8, 0);
      break;
  }
  if (nid < 0) return nid;
  copied[id] = nid;
  return nid;
}

int main(int argc, char **argv) {
  if (argc < 4) {
    fprintf(stderr, "usage: %s VMLINUX_BTF OUT.btf OBJECT.o...\n", argv[0]);
    return 2;
  }
  kernel = btf__parse(argv[1], NULL);
  if (!kernel) {
    fprintf(stderr, "cut_btf: cannot read %s\n", argv[1]);
    return 1;
  }
  for (int i = 3; i < argc && nlocals < MAX_LOCAL; i++) {
    struct btf *b = btf__parse(argv[i], NULL);
    if (b) locals[nlocals++] = b;
  }
  out = btf__new_empty();
  const int n = (int)btf__type_cnt(kernel);
  copied = calloc((size_t)n, sizeof(int));
  if (!out || !copied) return 1;
  int kept = 0;
  for (int id = 1; id < n; id++) {
    const struct btf_type *t = btf__type_by_id(kernel, id);
    if (!btf_is_composite(t)) continue;
    const char *name = btf__name_by_offset(kernel, t->name_off);
    const struct btf *in = NULL;
    if (!name || !*name || !local_decl(name, btf_kind(t), &in)) continue;
    if (copied[id]) continue;
    int r = copy(id);
    if (r < 0) {
      fprintf(stderr, "cut_btf: copying %s: %d\n", name, r);
      return 1;
    }
    kept++;
  }
  for (int i = 0; i < nfixups; i++) {
    int target = copied[fixups[i].kernel_target];
    if (target <= 0) {
      const struct btf_type *to = btf__type_by_id(kernel, fixups[i].kernel_target);
      const char *tn = btf__name_by_offset(kernel, to->name_off);
      target = btf__add_fwd(out, tn && *tn ? tn : "anon",
                            btf_kind(to) == BTF_KIND_UNION ? BTF_FWD_UNION : BTF_FWD_STRUCT);
      if (target < 0) return 1;
      copied[fixups[i].kernel_target] = target;
    }
    ((struct btf_type *)btf__type_by_id(out, fixups[i].out_ptr))->type = (unsigned)target;
  }
  unsigned size = 0;
  const void *raw = btf__raw_data(out, &size);
  FILE *f = fopen(argv[2], "wb");
  if (!raw || !f || fwrite(raw, 1, size, f) != size) {
    fprintf(stderr, "cut_btf: cannot write %s\n", argv[2]);
    return 1;
  }
  fclose(f);
  fprintf(stderr, "cut_btf: %d kernel structs, %u bytes -> %s\n", kept, size, argv[2]);
  return 0;
}
