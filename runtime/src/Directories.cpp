//===- Directories.cpp - create the folders the runtime writes into -------===//

#include "Directories.h"
#include "Error.h"

#include <cerrno>
#include <cstring>

#include <sys/stat.h>

bool kiln::makeDirectories(const std::string &dir, char *err, size_t errLen) {
  for (size_t slash = dir.find('/', 1);; slash = dir.find('/', slash + 1)) {
    std::string part = dir.substr(0, slash);
    if (!part.empty() && mkdir(part.c_str(), 0755) != 0 && errno != EEXIST) {
      setError(err, errLen, "%s: cannot create the folder: %s", part.c_str(),
               std::strerror(errno));
      return false;
    }
    if (slash == std::string::npos)
      return true;
  }
}
