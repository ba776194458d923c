// ASCII text helpers: protocol names (HTTP headers, hostnames, hex digests)
// are ASCII, so no locale is consulted.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace pw::util {

std::string lower(std::string_view text);
bool iequals(std::string_view a, std::string_view b);

// Lower-case hexadecimal, two digits per byte.
std::string hex(const void* data, std::size_t size);
inline std::string hex(std::string_view bytes) { return hex(bytes.data(), bytes.size()); }

// Text as XML character data or a quoted attribute value (S3's XML bodies):
// & < > " ' become entity references, everything else is kept.
std::string xml_escape(std::string_view text);

// The deepest element nesting of an XML text, scanning past comments, CDATA,
// declarations and quoted attribute values; stops counting past `limit`.
// Checked before a recursive parser (Boost.PropertyTree) reads untrusted XML.
int xml_depth(std::string_view xml, int limit);

// "1 step", "3 steps": a count with its noun, plural unless it is one
// (`plural` when the noun does not just take an "s").
std::string count_of(std::size_t n, std::string_view singular, std::string_view plural = {});

}  // namespace pw::util
